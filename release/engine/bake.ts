/**
 * Holding one step and judging it: on evidence from the function's request metrics
 * (release/evidence/request-metrics.ts, release/judge/decision), or, where there are none, on Lambda's own metrics
 * with the fixed-count rule. Split from the controller, whose state it reads through BakeRun.
 */
import { formatDuration } from "../core/clock";
import type { ReleaseDeps, ReleaseRequest } from "./request";
import { decide, decisionRecord, requestsToShowHealth } from "../judge/decision";
import type { EvidenceGatherer, PreRelease, Window } from "../evidence/request-metrics";
import type { LiveTailSource } from "../evidence/live-tail/source";
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
  /** The live evidence source, when it runs (release/evidence/live-tail/). */
  readonly live?: LiveTailSource;
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

/** The figures one check judges, and where they came from. */
interface Seen {
  readonly window: Window;
  readonly sources: readonly string[];
  /** Request time up to which the live stream is complete; undefined when judged on metrics. */
  readonly until?: number;
  readonly sampled: boolean;
  /** The target was invoked (Lambda's reports on the stream) but wrote no request documents. */
  readonly silent: boolean;
  /**
   * On the stream: everything seen so far, past the watermark too. Harm may be judged on it:
   * which requests have arrived does not depend on how they went (both versions' documents
   * travel alike), so a partial window is still a fair sample of failures; health, advancing
   * and promotion are judged only up to the watermark.
   */
  readonly allSeen?: Window;
  /** Whether allSeen holds a sampled update. */
  readonly allSeenSampled?: boolean;
}

/** Lambda reports of the target with no request document of it: the target does not publish them. */
const NOT_PUBLISHING_AFTER_REPORTS = 5;

/**
 * On the live stream: requests, 5xx and latency of both versions up to the stream's watermark
 * (and, for harm only, everything arrived since), with Lambda's Invocations and Errors from
 * metrics beside them. On metrics (no stream): the request metrics as CloudWatch has them now.
 */
async function seen(run: BakeRun, evidence: EvidenceGatherer, metrics: Window, windowStart: number, now: number): Promise<Seen> {
  const h = run.req.settings.health;
  const live = run.live?.available === true ? run.live : undefined;
  const v = versionsOf(run);
  if (live === undefined) {
    // No request metrics of the target while Lambda counts its invocations means "publishes
    // nothing" only once the pipeline has delivered a whole minute of the previous version's
    // metrics since the first shift: a stalled pipeline is not an old build.
    const flowing = !metrics.targetPublishes && ((await evidence.completeThrough(new Date(windowStart), new Date(now), v.previous)).until ?? 0) >= windowStart + 60_000;
    return { window: discountWindow(metrics, v, syntheticAt(run.stageChecks, now, h)), sources: ["request-metrics", "lambda-metrics"], sampled: false, silent: flowing };
  }
  const until = Math.max(windowStart, Math.min(now, live.watermark() ?? windowStart));
  const threshold = run.preRelease?.latencyThresholdMs;
  const lambda = (f: Window["target"]) => ({ ...(f.invocations !== undefined ? { invocations: f.invocations } : {}), ...(f.unhandledErrors !== undefined ? { unhandledErrors: f.unhandledErrors } : {}) });
  // Each version's tally once per window end: up to the watermark, and up to the next whole second.
  const upTo = (end: number) => {
    const target = live.tally.figures(v.target, windowStart, end, threshold);
    const baseline = live.tally.figures(v.previous, windowStart, end, threshold);
    const window: Window = { target: { ...target.figures, ...lambda(metrics.target) }, baseline: { ...baseline.figures, ...lambda(metrics.baseline) }, targetPublishes: true, problems: metrics.problems };
    return { window, target, sampled: target.sampled || baseline.sampled };
  };
  const complete = upTo(until);
  const arrived = upTo(Math.floor(now / 1000) * 1000 + 1000);
  const discount = syntheticAt(run.stageChecks, now, h, until);
  return {
    allSeenSampled: arrived.sampled,
    // The stage check's own answers leave the counts once the stream is complete past them.
    window: discountWindow(complete.window, v, discount),
    // The seconds past the watermark as far as they have arrived. The stage check's answers are taken out as far as
    // the stream is complete (each later one is in the stream or on its way: never counted twice).
    allSeen: discountWindow(arrived.window, v, discount),
    sources: ["live-tail", "lambda-metrics"],
    until,
    sampled: complete.sampled,
    silent: complete.target.figures.requests === 0 && complete.target.reports >= NOT_PUBLISHING_AFTER_REPORTS,
  };
}

const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * A step judged on evidence (release/judge/decision): checks every checkIntervalSeconds, rolls back
 * as soon as the evidence shows harm, advances once it shows health and the step's bake (its
 * minimum) has passed, and otherwise holds up to evidenceDeadlineSeconds from the step's start.
 * The final step is promoted only once its own traffic up to the end of its bake has been seen:
 * on the live stream, once its watermark has passed that instant; on metrics alone, once the
 * target's request metrics account for every invocation Lambda counted up to then
 * (EvidenceGatherer.completeThrough). Both are measured: AWS documents no delay for either.
 */
async function bakeOnEvidence(run: BakeRun, step: Step, index: number, health: HealthMonitor, since: Date, evidence: EvidenceGatherer): Promise<void> {
  const { clock } = run.deps;
  const h = run.req.settings.health;
  const stepStart = clock.now();
  const bakeEnd = stepStart + step.bakeSeconds * 1000;
  const minBakeSeconds = step.bakeSeconds;
  const deadlineSeconds = Math.max(minBakeSeconds, h.evidenceDeadlineSeconds);
  const windowStart = new Date(run.firstShiftAt ?? stepStart);
  let silentChecks = 0;
  /** Waiting only for the stream to pass the end of the bake: look again when it should have, not a whole interval later. */
  let untilSeen: number | undefined;
  for (;;) {
    const left = stepStart + deadlineSeconds * 1000 - clock.now();
    await clock.sleep(Math.max(0, Math.min(untilSeen ?? h.checkIntervalSeconds * 1000, left)), run.deps.signal);
    untilSeen = undefined;
    run.throwIfInterrupted();
    await run.guardAlias();
    const now = new Date(clock.now());
    const { sample, verdict } = await health.check(since, now, { errorRates: false });
    const metrics = await evidence.window(windowStart, now, run.preRelease?.latencyThresholdMs);
    const s = await seen(run, evidence, metrics, windowStart.getTime(), now.getTime());
    const w = s.window;
    const elapsedSeconds = (now.getTime() - stepStart) / 1000;
    if (w.problems.length > 0 || sample.metricsUnavailable !== undefined) {
      const why = [...w.problems, ...(sample.metricsUnavailable !== undefined ? [sample.metricsUnavailable] : [])].join("; ");
      if (elapsedSeconds >= deadlineSeconds) throw stop("rolled-back", EXIT.rolledBack, `health unknown at ${step.percent}%: CloudWatch could not compute the metrics (${why}); check cloudwatch:GetMetricData access and rerun`);
      run.deps.progress.status(`[step ${index + 1}/${run.steps.length}] ${run.percent}% · metrics unreadable (${why}); retrying`);
      continue;
    }
    // Twice in a row, so documents that arrive later than Lambda's own figures are not mistaken for none.
    silentChecks = s.silent ? silentChecks + 1 : 0;
    if (silentChecks >= 2) {
      const seenBy = s.until !== undefined ? `Lambda reported ${NOT_PUBLISHING_AFTER_REPORTS} or more invocations on the live stream` : `Lambda counted ${w.target.invocations ?? 0} invocations`;
      run.note(`version ${run.target ?? "?"} published no request metrics though ${seenBy} (an older build?): judged on Lambda's metrics with the fixed-count rule from here on, which cannot see handled 5xx answers or latency`);
      run.evidence = undefined;
      return bakeStep(run, { ...step, bakeSeconds: Math.max(1, step.bakeSeconds - Math.floor(elapsedSeconds)) }, index, health, since);
    }
    // On metrics alone, how far they are complete matters only for the last step's promotion.
    const seenUntil = s.until ?? (step.percent === 100 ? (await evidence.completeThrough(windowStart, now)).until : undefined);
    const decision = decide(
      { target: w.target, baseline: w.baseline, preRelease: run.preRelease?.previous, latencyThresholdMs: run.preRelease?.latencyThresholdMs, time: { elapsedSeconds, minBakeSeconds, deadlineSeconds } },
      h.decision,
    );
    // Harm shows on whatever has arrived, past the watermark too; the rest of the decision waits for it.
    const early = s.allSeen === undefined || decision.outcome === "harm" ? undefined : decide({ target: s.allSeen.target, baseline: s.allSeen.baseline, preRelease: run.preRelease?.previous, latencyThresholdMs: run.preRelease?.latencyThresholdMs, time: { elapsedSeconds, minBakeSeconds, deadlineSeconds } }, h.decision);
    const used = early?.outcome === "harm" ? early : decision;
    const judged = judgeStep(used, verdict);
    // The last step advances (promotes) only on its own traffic up to the end of its bake, seen.
    const unseenBake = step.percent === 100 && (seenUntil === undefined || seenUntil < bakeEnd);
    const seenBy = s.until !== undefined ? "the live stream" : "the request metrics (against Lambda's invocations)";
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
      decision: decisionRecord(used),
      sources: [...s.sources, ...(run.req.alarmNames.length > 0 ? ["alarms"] : [])],
      ...(seenUntil !== undefined ? { watermark: new Date(seenUntil).toISOString() } : {}),
      ...((used === decision ? s.sampled : s.allSeenSampled === true) ? { sampled: true } : {}),
    });
    const basis = s.until !== undefined ? `live to ${clockTime(s.until)}${s.sampled ? " (sampled)" : ""}` : "metrics";
    run.deps.progress.status(
      `[step ${index + 1}/${run.steps.length}] ${run.percent}% · ${formatDuration(elapsedSeconds)} of ${formatDuration(minBakeSeconds)} min, deadline ${formatDuration(deadlineSeconds)} · ${used.outcome} on ${used === decision ? basis : "everything seen so far"} · target ${w.target.serverErrors ?? 0}/${w.target.requests} 5xx · previous ${w.baseline.serverErrors ?? 0}/${w.baseline.requests} · alarms ${firing.length === 0 ? "ok" : firing.join(",")}`,
    );
    switch (judged.action) {
      case "roll-back":
        throw stop("rolled-back", EXIT.rolledBack, `health failed at ${run.percent}%: ${judged.reasons.join("; ")}. Look into version ${run.target ?? "?"} (its logs and the signal named), fix it and release a new version`);
      case "roll-back-at-deadline":
        throw stop(
          "rolled-back",
          EXIT.rolledBack,
          `health not shown at ${run.percent}% within ${formatDuration(deadlineSeconds)} (the step's evidence deadline): ${judged.reasons.join("; ")}${unseenBake ? `; ${seenBy} had shown requests ${seenUntil !== undefined ? `up to ${clockTime(seenUntil)}` : "of no whole minute"}, not the end of the bake at ${clockTime(bakeEnd)}` : ""}. Where an alarm is named, look into it; where traffic is too low to show health (about ${requestsToShowHealth(h.decision) ?? "?"} target requests are needed), lengthen evidenceDeadlineSeconds (--evidence-deadline), raise the first step, or set health.decision.promoteWithoutEvidence`,
        );
      case "promote-without-evidence":
        run.note(`no evidence of health at ${run.percent}% by the step's deadline (${formatDuration(deadlineSeconds)}); advancing without it, as health.decision.promoteWithoutEvidence allows`);
        return;
      case "advance":
        if (unseenBake && elapsedSeconds >= deadlineSeconds) {
          // Healthy on what was seen, but the source stalled short of the bake's end: promoting would be on unseen traffic.
          throw stop(
            "rolled-back",
            EXIT.rolledBack,
            `health not shown at ${run.percent}% within ${formatDuration(deadlineSeconds)} (the step's evidence deadline): healthy on what was seen, but ${seenBy} had shown requests ${seenUntil !== undefined ? `up to ${clockTime(seenUntil)}` : "of no whole minute"}, not the end of the bake at ${clockTime(bakeEnd)}, so the last step's own traffic was not seen. Check the function's log delivery (CloudWatch Logs) and release again`,
          );
        }
        if (unseenBake) {
          // The stream's watermark moves with time while it flows: look again when it should have passed; metrics, every interval.
          if (s.until !== undefined) untilSeen = Math.min(h.checkIntervalSeconds * 1000, Math.max(1000, bakeEnd - s.until));
          run.deps.progress.status(
            `[step ${index + 1}/${run.steps.length}] ${run.percent}% · healthy so far; waiting for ${seenBy} to show requests up to the end of the bake (${clockTime(bakeEnd)}; seen to ${seenUntil !== undefined ? clockTime(seenUntil) : "none yet"})`,
          );
          break;
        }
        run.deps.progress.line(`[step ${index + 1}/${run.steps.length}] ${run.percent}% healthy after ${formatDuration(elapsedSeconds)} on ${basis}: ${used.reason}`);
        return;
      case "hold":
        break;
    }
  }
}
