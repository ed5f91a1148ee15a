/**
 * `release --probe <url>`: seed 000's probe (release/probe/run.ts `runProbe`) in the release's own
 * process, on the release's clock, from the release's start until a short tail after it ends;
 * then the NDJSON, the chart with the release's weights overlaid, and the chart's figures for
 * the JSON report and the step summary. The probe only watches: its failures are reported but
 * never change the release's outcome or exit code (the release judges by the function's
 * metrics; see README "Probe").
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { renderValue, ValidationError } from "../../lib/validation";
import type { Clock } from "../core/clock";
import { weightsFromReport, type WeightsSeries } from "./chart-weights";
import { chartPath, writeChart } from "./chart-file";
import { runProbe } from "./run";
import { probeOptions, recordLine, summarise, type ProbeOptions, type ProbeRecord } from "./traffic";
import type { ReleaseProbeFigures, ReleaseReport } from "../engine/report";

/** The probe goes on this long after the release's last step, so the chart shows the settled alias. */
export const RELEASE_PROBE_TAIL_MS = 10_000;
/** A safety bound only: the release ends the probe (its own deadlines bound the release). */
const RELEASE_PROBE_MAX_S = 6 * 3600;
/** The probe's progress lines among the release's, less often than alone. */
const RELEASE_PROBE_PROGRESS_MS = 30_000;
export const RELEASE_PROBE_DEFAULT_OUT = "release-probe.ndjson";

export interface ReleaseProbePlan {
  readonly opts: ProbeOptions;
  readonly chart: string;
}

/** Validates `--probe <url>` and `--probe-out <file>` as the probe validates its own flags, naming the release's flag. */
export function releaseProbePlan(url: string, out: string | undefined): ReleaseProbePlan {
  try {
    const opts = { ...probeOptions(url, { out: out ?? RELEASE_PROBE_DEFAULT_OUT }), durationS: RELEASE_PROBE_MAX_S, finishFile: "" };
    if (!/\.ndjson$/i.test(opts.out)) throw new ValidationError("release", [{ field: "--probe-out", value: renderValue(opts.out), message: "must end in .ndjson (the chart is written beside it as .html); pass e.g. --probe-out release-probe.ndjson." }]);
    return { opts, chart: chartPath([], undefined, opts.out) ?? "" };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const renamed = e.problems.map((p) => ({ ...p, field: p.field === "<baseUrl>" ? "--probe" : p.field === "--out" ? "--probe-out" : p.field }));
    throw new ValidationError("release", renamed);
  }
}

export function describeReleaseProbe(p: ReleaseProbePlan): string {
  return `probe: ${p.opts.clients} clients POST ${p.opts.baseUrl}/todo every ${p.opts.intervalMs} ms from the start until ${RELEASE_PROBE_TAIL_MS / 1000} s after the release ends; answers in ${p.opts.out}, chart in ${p.chart} (its failures do not change the exit code)`;
}

export interface ReleaseProbeDeps {
  readonly clock: Clock;
  readonly fetch: typeof fetch;
  readonly progress: (line: string) => void;
}

export interface RunningProbe {
  /** Stops the probe after the tail, writes the chart, and returns the report with its `probe` figures. */
  finish(report: ReleaseReport): Promise<ReleaseReport>;
  /** Stops it at once, writing nothing more (the release ended with an unexpected error). */
  abandon(): void;
}

/** Opens the NDJSON (throws ValidationError when it cannot be written) and starts sending. */
export function startReleaseProbe(plan: ReleaseProbePlan, deps: ReleaseProbeDeps): RunningProbe {
  let fd: number;
  try {
    fd = openSync(plan.opts.out, "w");
  } catch (e) {
    throw new ValidationError("release", [{ field: "--probe-out", value: renderValue(plan.opts.out), message: `cannot be written (${e instanceof Error ? e.message : String(e)}); pass a writable path.` }]);
  }
  const stop = new AbortController();
  const running = runProbe(plan.opts, {
    clock: deps.clock,
    fetch: deps.fetch,
    finishExists: () => false,
    record: (r) => writeSync(fd, recordLine(r)),
    progress: deps.progress,
    progressEveryMs: RELEASE_PROBE_PROGRESS_MS,
    stop: stop.signal,
  }).finally(() => closeSync(fd));
  return {
    async finish(report) {
      await deps.clock.sleep(RELEASE_PROBE_TAIL_MS);
      stop.abort();
      const records = await running;
      return { ...report, probe: figures(plan, records, report, deps.progress) };
    },
    abandon: () => stop.abort(),
  };
}

function figures(plan: ReleaseProbePlan, records: readonly ProbeRecord[], report: ReleaseReport, progress: (line: string) => void): ReleaseProbeFigures {
  const s = summarise(records);
  const base = { url: plan.opts.baseUrl, requests: s.requests, ok: s.ok, failures: s.failures, perVersion: s.perVersion.map((v) => ({ ...v })), ndjson: plan.opts.out };
  let weights: WeightsSeries | undefined;
  try {
    weights = weightsFromReport(report);
  } catch (e) {
    // A release that stopped before it chose a version has no weights to draw; the mix still is.
    if (!(e instanceof ValidationError)) throw e;
  }
  const title = `${report.environment ?? ""} release ${report.fromVersion ?? "?"} → ${report.toVersion ?? "?"} (${report.outcome}), probe of ${plan.opts.baseUrl}`.trim();
  try {
    if (records.length === 0) throw new Error("no request was sent");
    const data = writeChart(records, { file: plan.chart, title, weights });
    progress(`probe: ${s.requests} requests, ${s.failures} failed; chart in ${plan.chart}`);
    return { ...base, chart: plan.chart, bucketSeconds: data.bucketMs / 1000 };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    progress(`probe: ${s.requests} requests, ${s.failures} failed; chart not written (${why})`);
    return { ...base, chartError: why };
  }
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The step summary's probe table (empty when the release ran without --probe). */
export function releaseProbeMarkdown(report: ReleaseReport): string {
  const p = report.probe;
  if (p === undefined) return "";
  const pct = (n: number) => (p.requests === 0 ? "0%" : `${Math.round((n / p.requests) * 100)}%`);
  const rows = [
    "",
    `#### Probe of ${cell(p.url)}${p.failures > 0 ? " ⚠️" : ""}`,
    "",
    "| answered by | requests | share |",
    "| --- | ---: | ---: |",
    ...p.perVersion.map((v) => `| ${v.version === "(none)" ? "no answer / no header" : `version ${cell(v.version)}`} | ${v.count} | ${pct(v.count)} |`),
    `| **all** (${p.ok} ok, ${p.failures} failed) | ${p.requests} | 100% |`,
    "",
    p.chart !== undefined ? `Chart: \`${cell(p.chart)}\`; answers: \`${cell(p.ndjson)}\`. Probe failures do not change the release's exit code.` : `No chart (${cell(p.chartError ?? "")}); answers: \`${cell(p.ndjson)}\`.`,
  ];
  return `${rows.join("\n")}\n`;
}
