/**
 * Holding one step and judging it: on evidence from the function's request metrics
 * (release/evidence/request-metrics.ts, release/judge/decision), or, where there are none, on Lambda's own metrics
 * with the fixed-count rule. Split from the controller, whose state it reads through BakeRun.
 */
import { formatDuration } from "../core/clock";
import type { ReleaseDeps, ReleaseRequest } from "./request";
import { decide, decisionRecord, requestsToShowHealth } from "../judge/decision";
import type { EvidenceGatherer, PreRelease } from "../evidence/request-metrics";
import type { HealthMonitor } from "../evidence/lambda-metrics";
import { EXIT, stop } from "../core/outcome";
import type { CheckRecord } from "./report";
import type { Step } from "../core/schedule";
import { discountSample, discountWindow, syntheticAt, type StageChecker } from "./stage-check-run";
import { judgeStep } from "../judge/step";

/** The release run as a step's bake sees it. */
export interface BakeRun {
  readonly req: ReleaseRequest;
  readonly deps: ReleaseDeps;
  readonly steps: readonly Step[];
  /** Share on the target as last written. */
  readonly percent: number;
  readonly target?: string;
  readonly previous?: string;
  /** The stage check, whose own answers are taken out of the counts judged here. */
  readonly stageChecks?: StageChecker;
  /** The evidence window's start: the first shift (or, resumed, when the split is taken to have begun). */
  readonly firstShiftAt?: number;
  readonly preRelease?: PreRelease;
  /** Cleared when the target turns out to publish no request metrics. */
  evidence?: EvidenceGatherer;
  readonly checks: CheckRecord[];
  readonly skipped: string[];
  note(text: string): void;
  guardAlias(): Promise<void>;
  throwIfInterrupted(): void;
  provisionedReady(percent: number): Promise<void>;
}

const versionsOf = (run: BakeRun) => ({ previous: run.previous ?? "", target: run.target ?? "" });

/**
 * Holds a step for its bake time, checking health every checkIntervalSeconds. The last
 * check comes metricDelaySeconds after the bake ends, because CloudWatch publishes Lambda
 * metrics late and the bake's final minute would otherwise go unjudged.
 */
export async function bakeStep(run: BakeRun, step: Step, index: number, health: HealthMonitor, since: Date): Promise<void> {
  if (step.bakeSeconds === 0) {
    if (step.percent < 100) run.skipped.push(`health at ${step.percent}%: not watched (bakeSeconds is 0)`);
    return;
  }
  await run.provisionedReady(step.percent);
  if (run.evidence !== undefined) return bakeOnEvidence(run, step, index, health, since, run.evidence);
  const { clock } = run.deps;
  let judged = false;
  let unavailable: string | undefined;
  let lastInvocations = 0;
  const h = run.req.settings.health;
  const judgeUntil = clock.now() + (step.bakeSeconds + h.metricDelaySeconds) * 1000;
  const later = run.steps.slice(index + 1).reduce((n, s) => n + (s.bakeSeconds > 0 ? s.bakeSeconds + h.metricDelaySeconds : 0), 0);
  while (clock.now() < judgeUntil) {
    await clock.sleep(Math.min(h.checkIntervalSeconds * 1000, judgeUntil - clock.now()), run.deps.signal);
    run.throwIfInterrupted();
    await run.guardAlias();
    const now = clock.now();
    const { sample, verdict } = await health.check(since, new Date(now), {}, (s) => discountSample(s, versionsOf(run), syntheticAt(run.stageChecks, now, h)));
    judged ||= verdict.targetErrorRate !== undefined;
    unavailable = sample.metricsUnavailable;
    lastInvocations = sample.target.invocations;
    const firing = Object.entries(sample.alarms).filter(([, s]) => s === "ALARM").map(([n]) => n);
    run.checks.push({
      at: new Date(clock.now()).toISOString(),
      percent: run.percent,
      healthy: verdict.healthy,
      reasons: verdict.reasons,
      notes: verdict.notes,
      targetInvocations: sample.target.invocations,
      targetErrors: sample.target.errors,
      previousInvocations: sample.previous.invocations,
      previousErrors: sample.previous.errors,
      throttles: sample.throttles,
      alarmsInAlarm: firing,
    });
    const left = Math.max(0, judgeUntil - clock.now()) / 1000;
    run.deps.progress.status(
      `[step ${index + 1}/${run.steps.length}] ${run.percent}% · step ${formatDuration(left)} left, total ${formatDuration(left + later)} · target ${sample.target.errors}/${sample.target.invocations} errors` +
        `${verdict.targetErrorRate !== undefined ? ` (${verdict.targetErrorRate.toFixed(2)}%)` : ""} · previous ${sample.previous.errors}/${sample.previous.invocations} · throttles ${sample.throttles} · alarms ${firing.length === 0 ? "ok" : firing.join(",")}`,
    );
    if (!verdict.healthy) throw stop("rolled-back", EXIT.rolledBack, `health failed at ${run.percent}%: ${verdict.reasons.join("; ")}. Look into version ${run.target ?? "?"} (its logs and the alarm or metric named), fix it and release a new version`);
  }
  if (unavailable !== undefined) {
    throw stop("rolled-back", EXIT.rolledBack, `health unknown at ${step.percent}%: CloudWatch could not compute the metrics at the step's last check (${unavailable}); check cloudwatch:GetMetricData access and rerun`);
  }
  if (judged) return;
  const min = run.req.settings.health.minInvocations;
  // A partial step exists to judge the target on a share of traffic; passing it unjudged would
  // promote a version nobody measured. At 100% the schedule is over, so it is only reported.
  if (step.percent < 100) {
    throw stop(
      "rolled-back",
      EXIT.rolledBack,
      `health not judged at ${step.percent}%: version ${run.target ?? "?"} had ${lastInvocations} of the ${min} invocations needed to judge its error rate. Lengthen the bake (--bake, --steps), lower --min-invocations, or use --strategy all-at-once where traffic is too low`,
    );
  }
  run.skipped.push(`error rate at 100%: not judged (${lastInvocations} of ${min} invocations during the final bake)`);
}

/**
 * A step judged on evidence (release/judge/decision): checks every checkIntervalSeconds, rolls back
 * as soon as the evidence shows harm, advances once it shows health and the step's bake (its
 * minimum) has passed, and otherwise holds up to evidenceDeadlineSeconds from the step's start.
 */
async function bakeOnEvidence(run: BakeRun, step: Step, index: number, health: HealthMonitor, since: Date, evidence: EvidenceGatherer): Promise<void> {
  const { clock } = run.deps;
  const h = run.req.settings.health;
  const stepStart = clock.now();
  // Before promotion the final step must have seen its own bake: its last seconds of request
  // metrics become visible only evidenceDelaySeconds later.
  const minBakeSeconds = step.percent === 100 ? step.bakeSeconds + h.evidenceDelaySeconds : step.bakeSeconds;
  const deadlineSeconds = Math.max(minBakeSeconds, h.evidenceDeadlineSeconds);
  const windowStart = new Date(run.firstShiftAt ?? stepStart);
  let silentChecks = 0;
  for (;;) {
    const left = stepStart + deadlineSeconds * 1000 - clock.now();
    await clock.sleep(Math.max(0, Math.min(h.checkIntervalSeconds * 1000, left)), run.deps.signal);
    run.throwIfInterrupted();
    await run.guardAlias();
    const now = new Date(clock.now());
    const { sample, verdict } = await health.check(since, now, { errorRates: false });
    // Without the stage check's own answers: they are no user's (release/engine/stage-check-run.ts).
    const w = discountWindow(await evidence.window(windowStart, now, run.preRelease?.latencyThresholdMs), versionsOf(run), syntheticAt(run.stageChecks, now.getTime(), h));
    const elapsedSeconds = (now.getTime() - stepStart) / 1000;
    if (w.problems.length > 0 || sample.metricsUnavailable !== undefined) {
      const why = [...w.problems, ...(sample.metricsUnavailable !== undefined ? [sample.metricsUnavailable] : [])].join("; ");
      if (elapsedSeconds >= deadlineSeconds) throw stop("rolled-back", EXIT.rolledBack, `health unknown at ${step.percent}%: CloudWatch could not compute the metrics (${why}); check cloudwatch:GetMetricData access and rerun`);
      run.deps.progress.status(`[step ${index + 1}/${run.steps.length}] ${run.percent}% · metrics unreadable (${why}); retrying`);
      continue;
    }
    // Twice in a row, so request metrics that arrive later than Lambda's own are not mistaken for none.
    silentChecks = w.targetPublishes ? 0 : silentChecks + 1;
    if (silentChecks >= 2) {
      run.note(`version ${run.target ?? "?"} was invoked ${w.target.invocations ?? 0} times but published no request metrics (an older build?): judged on Lambda's metrics with the fixed-count rule from here on`);
      run.evidence = undefined;
      return bakeStep(run, { ...step, bakeSeconds: Math.max(1, step.bakeSeconds - Math.floor(elapsedSeconds)) }, index, health, since);
    }
    const decision = decide(
      { target: w.target, baseline: w.baseline, preRelease: run.preRelease?.previous, latencyThresholdMs: run.preRelease?.latencyThresholdMs, time: { elapsedSeconds, minBakeSeconds, deadlineSeconds } },
      h.decision,
    );
    const judged = judgeStep(decision, verdict);
    const firing = Object.entries(sample.alarms).filter(([, st]) => st === "ALARM").map(([n]) => n);
    run.checks.push({
      at: now.toISOString(),
      percent: run.percent,
      healthy: judged.reasons.length === 0,
      reasons: judged.reasons,
      notes: judged.notes,
      targetInvocations: w.target.requests,
      targetErrors: w.target.serverErrors ?? 0,
      previousInvocations: w.baseline.requests,
      previousErrors: w.baseline.serverErrors ?? 0,
      throttles: sample.throttles,
      alarmsInAlarm: firing,
      decision: decisionRecord(decision),
    });
    run.deps.progress.status(
      `[step ${index + 1}/${run.steps.length}] ${run.percent}% · ${formatDuration(elapsedSeconds)} of ${formatDuration(minBakeSeconds)} min, deadline ${formatDuration(deadlineSeconds)} · ${decision.outcome} · target ${w.target.serverErrors ?? 0}/${w.target.requests} 5xx · previous ${w.baseline.serverErrors ?? 0}/${w.baseline.requests} · alarms ${firing.length === 0 ? "ok" : firing.join(",")}`,
    );
    switch (judged.action) {
      case "roll-back":
        throw stop("rolled-back", EXIT.rolledBack, `health failed at ${run.percent}%: ${judged.reasons.join("; ")}. Look into version ${run.target ?? "?"} (its logs and the signal named), fix it and release a new version`);
      case "roll-back-at-deadline":
        throw stop(
          "rolled-back",
          EXIT.rolledBack,
          `health not shown at ${run.percent}% within ${formatDuration(deadlineSeconds)} (the step's evidence deadline): ${judged.reasons.join("; ")}. Where an alarm is named, look into it; where traffic is too low to show health (about ${requestsToShowHealth(h.decision) ?? "?"} target requests are needed), lengthen evidenceDeadlineSeconds (--evidence-deadline), raise the first step, or set health.decision.promoteWithoutEvidence`,
        );
      case "promote-without-evidence":
        run.note(`no evidence of health at ${run.percent}% by the step's deadline (${formatDuration(deadlineSeconds)}); advancing without it, as health.decision.promoteWithoutEvidence allows`);
        return;
      case "advance":
        run.deps.progress.line(`[step ${index + 1}/${run.steps.length}] ${run.percent}% healthy after ${formatDuration(elapsedSeconds)}: ${decision.reason}`);
        return;
      case "hold":
        break;
    }
  }
}
