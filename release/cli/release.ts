// Wing cli/: the four commands (release, status, prune, probe): their flags, output and exit codes. May import: ops, probe, engine, inputs, stage-check, aws, core.
/**
 * `npm run release -- --stack prod …` / `shiftline-release`: the separate step that moves an
 * alias's traffic to a new version. `main` takes every outside dependency as an argument so
 * the tests run the real command line against mocked AWS clients and a fake clock.
 */
import { runAsProcess, throttledLine } from "./common";
import { appendFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ValidationError } from "../../lib/validation";
import { createAwsPorts, type AwsPorts } from "../aws/clients";
import type { CallContext } from "../aws/call";
import type { CodeUpdateWait } from "../aws/lambda";
import { systemClock, type Clock } from "../core/clock";
import { runRelease } from "../engine/controller";
import { FLAG_RANGES, loadOutputs, pulumiStackOutput, resolveInputs, type CliFlags } from "../inputs/resolve";
import { EXIT, EXIT_CODE_HELP, type ExitCode } from "../core/outcome";
import { dryRunSkipped, renderPlan } from "../inputs/plan";
import { Progress, renderMarkdown, renderSummary, type ReleaseReport, type Writable } from "../engine/report";
import { loadSmokeEvents, type SmokeEvent, type SmokeTarget } from "../inputs/smoke-source";
import { describeReleaseProbe, releaseProbeMarkdown, releaseProbePlan, startReleaseProbe, RELEASE_PROBE_DEFAULT_OUT, type ReleaseProbePlan, type RunningProbe } from "../probe/release-probe";
import { fetchStagePort, type StageHttpPort } from "../stage-check/http";

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  /** Where SIGINT/SIGTERM arrive (process in real use). */
  readonly signals: Pick<NodeJS.EventEmitter, "on" | "off">;
  readonly createPorts: (region: string, clock: Clock, onRetry: CallContext["onRetry"]) => AwsPorts;
  readonly runPulumi: (stack: string) => string | undefined;
  /** A fresh set for each run (its own smoke item), given where the run releases. */
  readonly smokeEvents: (target: SmokeTarget) => readonly SmokeEvent[];
  /** How the code-update waiter polls, given --code-update-timeout (default: every 2 s backing off to 20 s). */
  readonly waiterTiming?: (timeoutSeconds: number) => Omit<CodeUpdateWait, "abortSignal">;
  /** `--probe`'s HTTP client (default: the global fetch). */
  readonly fetch?: typeof fetch;
  /** GETs through the stages for the stage check; defaults to Node's fetch (release/stage-check/http.ts). */
  readonly stageHttp?: StageHttpPort;
}

/** Poll GetFunction from every 2 s up to every 20 s (backing off) until the timeout. */
const defaultWaiterTiming = (timeoutSeconds: number) => ({ maxWaitSeconds: timeoutSeconds, minDelaySeconds: 2, maxDelaySeconds: 20 });

export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  clock: systemClock,
  signals: process,
  createPorts: createAwsPorts,
  runPulumi: pulumiStackOutput,
  smokeEvents: (target) => loadSmokeEvents(target),
});

/** A numeric flag's help text with the range it accepts, so the limit is visible where it bites. */
const ranged = (flag: string, text: string) => `${text} [${FLAG_RANGES[flag]}]`;

export function buildProgram(): Command {
  const exitCodes = EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join("\n");
  return new Command("shiftline-release")
    .description("Move a Lambda alias's traffic to a version: all at once, canary, linear or custom steps, with a smoke gate, health checks and automatic rollback.")
    .option("-s, --stack <name>", "stack (environment) to release; its outputs come from 'pulumi stack output --json -s <name>' when pulumi is installed")
    .option("--outputs <file>", "stack outputs as JSON (pulumi stack output --json), instead of the pulumi CLI")
    .option("--function <name>", "function name (explicit inputs, or to override the outputs)")
    .option("--alias <name>", "alias to move (default: the stack's only alias)")
    .option("--stage <name>", "pick the alias through a stage, when the stack has several")
    .option("--region <region>", "AWS region (default: outputs, then AWS_REGION)")
    .option("--alarm <name...>", "CloudWatch alarm(s) to watch instead of the stack's")
    .option("--to-version <n>", ranged("--to-version", "version to release, or to roll back to (any published version); default: the stack's latestVersion, except in artifact mode (codeDeployment: release), where --artifact or --to-version is required"))
    .addOption(new Option("--strategy <strategy>", "override the stack's strategy").choices(["all-at-once", "canary", "linear", "custom"]))
    .option("--canary-percent <n>", ranged("--canary-percent", "canary: share of traffic before 100%"))
    .option("--linear-percent <n>", ranged("--linear-percent", "linear: traffic added per step"))
    .option("--bake <seconds>", ranged("--bake", "canary/linear: bake time of each partial step"))
    .option("--final-bake <seconds>", ranged("--final-bake", "bake at 100% before the release counts as done"))
    .option("--steps <list>", ranged("--steps", "custom steps as percent:bakeSeconds, e.g. 5:60,25:120,50:300 (implies --strategy custom)"))
    .option("--max-error-rate <percent>", ranged("--max-error-rate", "error-rate points the target may add over the previous version"))
    .option("--min-invocations <n>", ranged("--min-invocations", "target invocations needed before its error rate is judged"))
    .option("--max-throttles <n>", ranged("--max-throttles", "throttles on the alias tolerated during the release, beyond its pre-release rate"))
    .option("--metric-delay <seconds>", ranged("--metric-delay", "how long after a bake its metrics are judged (CloudWatch delay)"))
    .option("--check-interval <seconds>", ranged("--check-interval", "seconds between health checks"))
    .option("--evidence-deadline <seconds>", ranged("--evidence-deadline", "evidence-based health: how long a step waits for evidence from its start"))
    .option("--evidence-delay <seconds>", ranged("--evidence-delay", "without the live stream: how long the stage check's own requests take to appear in the request metrics, before they are taken out of the counts"))
    .option("--pre-release-minutes <minutes>", ranged("--pre-release-minutes", "evidence-based health: minutes of the previous version's traffic before the release to compare with"))
    .option("--smoke", "run the smoke gate even if the stack turns it off (smoke: false)")
    .option("--no-smoke", "skip the smoke gate even if the stack turns it on (smoke: true)")
    .option("--no-stage-check", "for this run, send no requests through the stages (the stack's stageCheck.enabled decides otherwise)")
    .option("--no-live-evidence", "for this run, judge on metrics alone: no Live Tail session on the function's log group (the stack's health.liveEvidence decides otherwise)")
    .option("--artifact <zip>", "artifact mode: upload this zip, update the function's code and publish the version to release")
    .option("--code-update-timeout <seconds>", ranged("--code-update-timeout", "artifact mode: how long to wait for LastUpdateStatus=Successful"), "300")
    .option("--dry-run", "print the plan and change nothing (no AWS calls)")
    .option("--resume", "continue an unfinished release of the same target from its current weight")
    .option("--abort", "roll an unfinished release back: alias wholly on its primary version")
    .option("--json", "print a JSON report on stdout at the end (progress goes to stderr)")
    // release --probe: the probe in this process, on this clock (release/probe/release-probe.ts).
    .option("--probe <url>", "while releasing, run the probe against this base URL (a stage's invokeUrl); its figures go in the report, its failures do not change the exit code")
    .option("--probe-out <file>", `--probe's NDJSON, with the chart beside it as .html (default ${RELEASE_PROBE_DEFAULT_OUT})`)
    .addHelpText("after", `\nExit codes:\n${exitCodes}\n\nExamples:\n  npm run release -- --stack prod\n  npm run release -- --outputs prod.json --strategy canary --canary-percent 10 --bake 300\n  npm run release -- --outputs prod.json --steps 5:60,25:120,50:300 --final-bake 120\n  npm run release -- --outputs prod.json --to-version 41 --strategy all-at-once   # roll back to 41\n  npm run release -- --outputs prod.json --resume    (or --abort) after an interrupted run\n  npm run release -- --outputs staging.json --dry-run`);
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  let flags: CliFlags & ReleaseProbeFlags;
  try {
    flags = program.parse([...argv], { from: "user" }).opts<CliFlags & ReleaseProbeFlags>();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    throw e;
  }
  const out = flags.json === true ? io.stderr : io.stdout;
  const progress = new Progress(out, flags.json !== true && io.stdout.isTTY === true);

  let inputs;
  let smokeEvents: readonly SmokeEvent[] = [];
  let probePlan: ReleaseProbePlan | undefined;
  try {
    probePlan = flags.probe === undefined ? undefined : releaseProbePlan(flags.probe, flags.probeOut);
    inputs = resolveInputs(flags, loadOutputs(flags, io.runPulumi), io.env);
    if (flags.dryRun !== true && inputs.mode !== "abort" && (inputs.settings.smoke || inputs.settings.stageCheck.enabled)) smokeEvents = io.smokeEvents({ environment: inputs.environment, alias: inputs.alias });
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    io.stderr.write(`${e.message}\n`);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: "bad-input", exitCode: EXIT.badInput, message: e.message, problems: e.problems }, null, 2)}\n`);
    return EXIT.badInput;
  }

  for (const line of renderPlan(inputs)) progress.line(line);
  if (probePlan !== undefined) progress.line(`${flags.dryRun === true ? "would " : ""}${describeReleaseProbe(probePlan)}`);
  if (flags.dryRun === true) {
    progress.line("dry run: nothing was changed and no AWS call was made. Not checked:");
    for (const s of dryRunSkipped(inputs)) progress.line(`  - ${s}`);
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ outcome: "dry-run", exitCode: EXIT.ok, inputs, skipped: dryRunSkipped(inputs) }, null, 2)}\n`);
    return EXIT.ok;
  }

  // release --probe: started before the release's first AWS call, so it sees the alias before it moves.
  const probe = probePlan === undefined ? undefined : startProbeOrExplain(probePlan, io, progress);
  if (probe === null) return EXIT.badInput;
  const interrupt = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (interrupt.signal.aborted) progress.line(`${name} again: already stopping; the alias is being put wholly on one version, please wait`);
    else {
      progress.line(`${name}: stopping and rolling back`);
      interrupt.abort(name);
    }
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  io.signals.on("SIGINT", onInt);
  io.signals.on("SIGTERM", onTerm);
  let report: ReleaseReport;
  try {
    const aws = io.createPorts(inputs.region, io.clock, (command, attempt, delayMs) => progress.line(throttledLine(command, attempt, delayMs)));
    report = await runRelease(
      {
        environment: inputs.environment,
        functionName: inputs.functionName,
        alias: inputs.alias,
        stages: inputs.stages,
        alarmNames: inputs.alarmNames,
        settings: inputs.settings,
        target: inputs.target,
        mode: inputs.mode,
        artifact: inputs.artifact,
        codeUpdateWait: (io.waiterTiming ?? defaultWaiterTiming)(inputs.codeUpdateTimeoutSeconds),
        smokeEvents,
        skipped: inputs.skipped,
        requestMetrics: inputs.requestMetrics,
      },
      { aws, clock: io.clock, signal: interrupt.signal, progress, stageHttp: io.stageHttp ?? fetchStagePort() },
    );
  } catch (e) {
    // release --probe: an unexpected error ends the run; the probe must not keep the process alive.
    probe?.abandon();
    throw e;
  } finally {
    io.signals.off("SIGINT", onInt);
    io.signals.off("SIGTERM", onTerm);
  }

  if (probe !== undefined) report = await probe.finish(report);
  for (const line of renderSummary(report)) progress.line(line);
  if (flags.json === true) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const summaryFile = io.env.GITHUB_STEP_SUMMARY;
  if (summaryFile !== undefined && summaryFile !== "") {
    try {
      appendFileSync(summaryFile, renderMarkdown(report) + releaseProbeMarkdown(report));
    } catch (e) {
      progress.line(`could not append to GITHUB_STEP_SUMMARY (${(e as Error).message})`);
    }
  }
  return report.exitCode;
}

// ---- release --probe --------------------------------------------------------------------
interface ReleaseProbeFlags {
  readonly probe?: string;
  readonly probeOut?: string;
}

/** Starts the probe; on an unwritable --probe-out says why and returns null (bad input, before any AWS call). */
function startProbeOrExplain(plan: ReleaseProbePlan, io: CliIo, progress: Progress): RunningProbe | null {
  try {
    return startReleaseProbe(plan, { clock: io.clock, fetch: io.fetch ?? fetch, progress: (line) => progress.line(line) });
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    io.stderr.write(`${e.message}\n`);
    return null;
  }
}

if (require.main === module) {
  runAsProcess(main(process.argv.slice(2)), EXIT.awsError, (code) => {
    // After an interrupt the SDK waiter's poll timer may still be pending (up to its maxDelay);
    // the run is over and the alias settled, so exit now instead of waiting for it.
    if (code === EXIT.interrupted) process.exit(code);
  });
}
