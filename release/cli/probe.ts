/**
 * `npm run probe -- <baseUrl>` / `shiftline-probe`: seed 000's experiment. N clients each POST a
 * todo to `<baseUrl>/todo` every interval until `--duration` has passed or the finish file
 * appears, record every answer as NDJSON, print progress, and end with poster.py's ok/ng table
 * and the count of answers per `x-function-version`. It sends only to the URL it is given.
 */
import { runAsProcess } from "./common";
import { existsSync, openSync, writeSync, closeSync } from "node:fs";
import { basename } from "node:path";
import { Command, CommanderError } from "commander";
import { ValidationError } from "../../lib/validation";
import type { WeightsSeries } from "../probe/chart-weights";
import { chartLine, writeChart } from "../probe/chart-file";
import { planProbe, type ProbeCliFlags, type ProbePlan } from "../probe/plan";
import { systemClock, type Clock } from "../core/clock";
import { recordLine, renderSummary, summarise, PROBE_DEFAULTS, PROBE_LIMITS, type ProbeRecord, type ProbeSummary } from "../probe/traffic";
import { PROGRESS_EVERY_MS, runProbe } from "../probe/run";

/** On a terminal the progress line is rewritten in place this often. */
const TTY_PROGRESS_EVERY_MS = 1_000;

export const PROBE_EXIT = { ok: 0, someFailed: 1, badInput: 2 } as const;
export const PROBE_EXIT_HELP: ReadonlyArray<readonly [number, string]> = [
  [0, "every request was answered with 200"],
  [1, "some request failed (another status, or no answer), or none was sent"],
  [2, "bad input (URL, flags, the finish file already exists, --out or --chart cannot be written, --from or --report unreadable)"],
];

export function buildProbeProgram(): Command {
  return new Command("shiftline-probe")
    .description("Send bounded traffic to an API (seed 000's experiment): N clients each POST /todo every interval, recording every answer's status, x-function-version and latency as NDJSON, and draw the version mix as a chart.")
    .argument("[baseUrl]", "base URL: a stage's invokeUrl, or npm start's http://localhost:3000")
    .option("--clients <n>", `clients sending in parallel [${PROBE_LIMITS.clients.min}-${PROBE_LIMITS.clients.max}]`, String(PROBE_DEFAULTS.clients))
    .option("--interval-ms <n>", `each client's interval between sends [${PROBE_LIMITS.intervalMs.min}-${PROBE_LIMITS.intervalMs.max}]`, String(PROBE_DEFAULTS.intervalMs))
    .option("--duration <s>", `stop after this many seconds [${PROBE_LIMITS.durationS.min}-${PROBE_LIMITS.durationS.max}] (default: the maximum, or the finish file)`)
    .option("--finish-file <path>", "stop once this file exists (seed 000's finish.txt)", PROBE_DEFAULTS.finishFile)
    .option("--out <file>", "NDJSON file for every answer (overwritten)", PROBE_DEFAULTS.out)
    .option("--title <text>", "the todo title to post", PROBE_DEFAULTS.title)
    .option("--timeout-ms <n>", `record a request with no answer after this long as failed [${PROBE_LIMITS.timeoutMs.min}-${PROBE_LIMITS.timeoutMs.max}]`, String(PROBE_DEFAULTS.timeoutMs))
    .option("--read", "after each POST answered 200, also GET /todo/{todoId} for the item just written (default: POST only, as seed 000)")
    .option("--chart <file>", "the version-mix chart, .html (with a table of counts) or .svg (default: the --out name with .html)")
    .option("--no-chart", "write no chart")
    .option("--report <release.json>", "a release's JSON report (release --json): draw its alias weights over the mix")
    .option("--from <probe.ndjson>", "send nothing: draw the chart of an earlier run's NDJSON")
    .addHelpText("after", `\nExit codes:\n${PROBE_EXIT_HELP.map(([c, t]) => `  ${String(c).padStart(3)}  ${t}`).join("\n")}\n\nExamples:\n  npm run probe -- http://localhost:3000 --duration 60\n  npm run probe -- --from probe.ndjson --report release.json --chart release.html`);
}

export interface ProbeIo {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown };
  readonly clock: Clock;
  readonly fetch: typeof fetch;
  readonly stop?: AbortSignal;
}

export function probeExit(s: ProbeSummary): number {
  return s.requests > 0 && s.failures === 0 ? PROBE_EXIT.ok : PROBE_EXIT.someFailed;
}

export async function probeMain(argv: readonly string[], io: ProbeIo): Promise<number> {
  let plan: ProbePlan;
  try {
    const program = buildProbeProgram()
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .parse([...argv], { from: "user" });
    plan = planProbe(program.args[0], program.opts<ProbeCliFlags>());
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? PROBE_EXIT.ok : PROBE_EXIT.badInput;
    if (e instanceof ValidationError) {
      io.stderr.write(`${e.message}\n`);
      return PROBE_EXIT.badInput;
    }
    throw e;
  }
  if (plan.kind === "from") {
    const summary = summarise(plan.records);
    io.stdout.write(renderSummary(summary));
    return finishChart(io, plan.records, plan.chart, `probe ${basename(plan.from)}`, plan.weights) ?? probeExit(summary);
  }
  const { opts } = plan;
  if (existsSync(opts.finishFile)) {
    io.stderr.write(`probe: --finish-file = ${JSON.stringify(opts.finishFile)}: already exists, so the probe would stop at once; remove it (or name another file) and run again.\n`);
    return PROBE_EXIT.badInput;
  }
  let fd: number;
  try {
    fd = openSync(opts.out, "w");
  } catch (e) {
    io.stderr.write(`probe: --out = ${JSON.stringify(opts.out)}: cannot be written (${e instanceof Error ? e.message : String(e)}); pass a writable path.\n`);
    return PROBE_EXIT.badInput;
  }
  io.stdout.write(`probe: ${opts.clients} client(s) POST ${opts.baseUrl}/todo${opts.read === true ? " (then GET /todo/{todoId})" : ""} every ${opts.intervalMs} ms for up to ${opts.durationS} s, or until ${opts.finishFile} exists; answers in ${opts.out}\n`);
  const tty = io.stdout.isTTY === true;
  let records: ProbeRecord[];
  try {
    records = await runProbe(opts, {
      clock: io.clock,
      fetch: io.fetch,
      finishExists: () => existsSync(opts.finishFile),
      record: (r) => writeSync(fd, recordLine(r)),
      // On a terminal one line rewritten in place every second; elsewhere (CI) a plain line every 5 s.
      progress: (line) => io.stdout.write(tty ? `\r\x1b[K${line}` : `${line}\n`),
      progressEveryMs: tty ? TTY_PROGRESS_EVERY_MS : PROGRESS_EVERY_MS,
      stop: io.stop,
    });
  } finally {
    closeSync(fd);
    if (tty) io.stdout.write("\r\x1b[K");
  }
  const summary = summarise(records);
  io.stdout.write(renderSummary(summary));
  const chartFailed = plan.chart === undefined ? undefined : finishChart(io, records, plan.chart, `probe of ${opts.baseUrl}`, plan.weights);
  return chartFailed ?? probeExit(summary);
}

/** Writes the chart and prints its line; returns the bad-input exit code when it cannot be written. */
function finishChart(io: ProbeIo, records: readonly ProbeRecord[], file: string, title: string, weights: WeightsSeries | undefined): number | undefined {
  if (records.length === 0 && weights === undefined) {
    io.stdout.write("chart: not written, no request was sent\n");
    return undefined;
  }
  try {
    io.stdout.write(chartLine(file, writeChart(records, { file, title, weights })));
    return undefined;
  } catch (e) {
    io.stderr.write(`probe: --chart = ${JSON.stringify(file)}: cannot be written (${e instanceof Error ? e.message : String(e)}); pass a writable path, or --no-chart.\n`);
    return PROBE_EXIT.badInput;
  }
}

if (require.main === module) {
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  runAsProcess(probeMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, clock: systemClock, fetch, stop: stop.signal }), 3);
}
