/**
 * What a release run does before any traffic moves, split from the controller: reading the
 * previous version's request metrics (evidence-based judging, and a first step fitted to the
 * traffic), the alarms' baseline, the smoke gate and the stage checker.
 */
import type { ReleaseDeps, ReleaseRequest } from "./request";
import type { VersionFigures } from "../judge/decision";
import { EvidenceGatherer, type PreRelease } from "../evidence/request-metrics";
import { runSmoke, SMOKE_ATTEMPTS, type SmokeResult } from "./smoke-gate";
import { HealthMonitor } from "../evidence/lambda-metrics";
import { LiveTailSource } from "../evidence/live-tail/source";
import { EXIT, gateFailed, stop } from "../core/outcome";
import type { Step } from "../core/schedule";
import { fitFirstStep } from "../judge/step";

/** The release run as these steps see it (release/engine/controller.ts's ReleaseRun). */
export interface PreTrafficRun {
  readonly req: ReleaseRequest;
  readonly deps: ReleaseDeps;
  steps: Step[];
  readonly percent: number;
  evidence?: EvidenceGatherer;
  /** The live evidence source, while it runs; closed by the controller however the run ends. */
  live?: LiveTailSource;
  preRelease?: PreRelease;
  firstShiftAt?: number;
  smoke: SmokeResult[];
  readonly skipped: string[];
  note(text: string): void;
}

/**
 * Sets up evidence-based judging: reads the previous version's request metrics before the
 * release and raises the first step where traffic is too low for it to show health in time.
 */
export async function prepareEvidence(run: PreTrafficRun, target: string, previous: string, since: Date): Promise<void> {
  const { req } = run;
  const h = req.settings.health;
  if (req.requestMetrics === undefined) {
    run.skipped.push("request metrics: none named (stack output requestMetrics); judged on Lambda's Invocations and Errors with the fixed-count rule, which cannot see handled 5xx answers or latency");
    return;
  }
  const gatherer = new EvidenceGatherer(run.deps.aws.cloudwatch, { functionName: req.functionName, alias: req.alias, target, previous, metrics: req.requestMetrics });
  const resumed = req.mode === "resume" && run.percent > 0;
  const pre = await gatherer.preRelease(resumed ? since : new Date(run.deps.clock.now()), h.preReleaseMinutes);
  if (pre.problems.length > 0) {
    run.note(`request metrics unreadable (${pre.problems.join("; ")}); judged on Lambda's metrics with the fixed-count rule instead`);
    return;
  }
  run.evidence = gatherer;
  run.preRelease = pre;
  startLiveEvidence(run);
  if (resumed) run.firstShiftAt = since.getTime();
  if (pre.previous === undefined) {
    run.note(
      h.preReleaseMinutes === 0
        ? `the previous version's traffic before the release is not read (preReleaseMinutes 0): the target is compared with it only from the first shift on`
        : `no request metrics of version ${previous} in the ${h.preReleaseMinutes} minutes before the release (no traffic, or a build that does not publish them): the target is compared with it only from the first shift on`,
    );
    return;
  }
  const p: VersionFigures = pre.previous;
  run.note(
    `version ${previous} before the release (${h.preReleaseMinutes} min): ${p.requests} requests, ${p.serverErrors ?? 0} server errors${pre.latencyThresholdMs !== undefined ? `, p99 ${pre.latencyThresholdMs.toFixed(1)} ms (slow requests are counted above it)` : ""}`,
  );
  if (resumed || h.preReleaseMinutes === 0) return;
  const fitted = fitFirstStep(run.steps, p.requests / (h.preReleaseMinutes * 60), h.decision, p.requests > 0 ? (p.serverErrors ?? 0) / p.requests : undefined);
  if (fitted.note !== undefined) {
    run.steps = fitted.steps;
    run.note(`${fitted.note} (${run.steps.map((s) => `${s.percent}%`).join(" → ")})`);
  }
}

/**
 * Starts tailing the function's log group before any traffic moves, so the stream's delay is
 * already measured on the previous version's requests when the first step is judged. Where it
 * cannot run, the release is judged on metrics alone and says why.
 */
function startLiveEvidence(run: PreTrafficRun): void {
  const { req, deps } = run;
  const logGroupArn = req.requestMetrics?.logGroupArn;
  const why = !req.settings.health.liveEvidence
    ? "turned off (health.liveEvidence false / --no-live-evidence)"
    : logGroupArn === undefined
      ? "the stack exports no requestMetrics.logGroupArn (a stack deployed before it; the next pulumi up adds it)"
      : deps.aws.logs === undefined
        ? "no CloudWatch Logs client"
        : undefined;
  if (why !== undefined || logGroupArn === undefined || deps.aws.logs === undefined) {
    run.skipped.push(`live evidence: ${why ?? ""}; judged on the request metrics alone, the last step once they are measured complete to the end of its bake`);
    return;
  }
  run.live = new LiveTailSource(deps.aws.logs, deps.clock, { logGroupArn, alias: req.alias }, (line) => run.note(line));
  run.live.start();
  deps.progress.line(`live evidence: tailing ${logGroupArn.replace(/^.*:log-group:/, "")} for alias ${req.alias}'s requests (Live Tail)`);
}

export async function smokeGate(run: PreTrafficRun, target: string): Promise<void> {
  const { req } = run;
  if (!req.settings.smoke) {
    run.skipped.push("smoke gate: turned off (smoke: false / --no-smoke)");
    return;
  }
  if (req.smokeEvents.length === 0) throw gateFailed("smoke gate: no smoke events; add them to lambda-src/smoke-events.ts or pass --no-smoke.");
  // A failure is evidence against the target only where the previous version does not fail
  // too: when it did in the hour before, a failed invocation is repeated once (release/engine/smoke-gate.ts).
  const previous = run.preRelease?.previous;
  const previousFails = previous !== undefined && ((previous.serverErrors ?? 0) > 0 || (previous.unhandledErrors ?? 0) > 0);
  run.smoke = await runSmoke(run.deps.aws.lambda, req.functionName, target, req.smokeEvents, previousFails ? SMOKE_ATTEMPTS : 1);
  for (const s of run.smoke) run.deps.progress.line(`smoke ${s.ok ? "ok  " : "FAIL"} ${s.name}${s.statusCode !== undefined ? ` → ${s.statusCode}` : ""}${s.problem !== undefined ? `: ${s.problem}` : ""}`);
  const failed = run.smoke.filter((s) => !s.ok);
  if (failed.length > 0) {
    throw gateFailed(`smoke gate: ${failed.length} of ${run.smoke.length} invocations of version ${target} failed (${failed.map((f) => `${f.name}: ${f.problem ?? ""}`).join("; ")}); no traffic was moved. Fix what these events show (run them locally with 'npm start'), publish a new version and release it.`);
  }
}

/** The alarms' states before the release: every configured alarm must exist; those already firing are noted (and block a resumed split). */
export async function watchAlarms(run: PreTrafficRun, target: string, previous: string): Promise<HealthMonitor> {
    // Alarms are checked before the smoke gate: smoke invocations write to the environment,
    // and a release whose health cannot be watched should not get that far.
    const health = new HealthMonitor(run.deps.aws.cloudwatch, { functionName: run.req.functionName, alias: run.req.alias, target, previous: previous, alarmNames: run.req.alarmNames }, run.req.settings.health);
    const baseline = await health.baseline();
    if (baseline.missing.length > 0) {
      throw gateFailed(
        `preflight: alarm${baseline.missing.length === 1 ? "" : "s"} ${baseline.missing.join(", ")} configured for alias ${run.req.alias} not found (metric alarms); health could not be watched. Fix alarmNames in the stack outputs (or pass --alarm with existing names).`,
      );
    }
    if (run.req.mode === "resume" && run.percent > 0 && baseline.firing.length > 0) {
      // The firing alarm may be the in-flight split's own doing; nothing tells it apart from an inherited one.
      throw stop(
        "rolled-back",
        EXIT.rolledBack,
        `cannot resume: alarm${baseline.firing.length === 1 ? "" : "s"} ${baseline.firing.join(", ")} in ALARM while version ${target} already has ${run.percent}% of traffic, so the split may be the cause. Once the alarm is OK, start the release again`,
      );
    }
    if (baseline.firing.length > 0) run.note(`already in ALARM before the release (judged by version error rates instead): ${baseline.firing.join(", ")}`);
  return health;
}
