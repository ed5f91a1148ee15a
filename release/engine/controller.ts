// Wing engine/: the release state machine: preflight, smoke gate, shifts, bakes, stage checks, rollback, promotion, report. May import: inputs, stage-check, evidence, judge, aws, core.
/**
 * The release state machine: preflight → smoke gate → shift weights step by step while
 * watching health → promote, or roll back. Whatever happens after the alias was first
 * touched, the run ends with the alias wholly on one version (or says loudly why it could not).
 */
import { describeAliasState, sameAlias, type AliasState } from "../aws/lambda";
import { deployArtifact } from "./artifact";
import type { SmokeResult } from "./smoke-gate";
import type { EvidenceGatherer, PreRelease } from "../evidence/request-metrics";
import type { LiveTailSource } from "../evidence/live-tail/source";
import { bakeStep } from "./bake";
import { EXIT, ReleaseStop, conflict, gateFailed, stop, type ExitCode, type OutcomeKind } from "../core/outcome";
import { preflight } from "./preflight";
import { prepareEvidence, smokeGate, watchAlarms } from "./pre-traffic";
import { findProvisioned, notReadyStop, servingQualifiers, unsettledStop, waitForAliasToSettle, waitForInheritedTransition, waitForProvisionedReady, type PrimaryChange, type ProvisionedSet } from "./provisioned";
import { describeError, rollbackAlias } from "./rollback";
import type { ReleaseDeps, ReleaseRequest } from "./request";
import type { CheckRecord, ReleaseReport } from "./report";
import { planSchedule, type Step } from "../core/schedule";
import { checkStagesAt, stageCheckerFor, type StageChecker } from "./stage-check-run";

export type { ReleaseDeps, ReleaseMode, ReleaseRequest } from "./request";

export function runRelease(req: ReleaseRequest, deps: ReleaseDeps): Promise<ReleaseReport> {
  return new ReleaseRun(req, deps).execute();
}

/** How far back the alias's usual throttle rate is measured before a release. */
const THROTTLE_BASELINE_MINUTES = 10;

/** One release. Fields read by bake.ts and pre-traffic.ts (through BakeRun, PreTrafficRun) are not private. */
class ReleaseRun {
  private readonly startedAt: number;
  steps: Step[];
  target?: string;
  previous?: string;
  private revisionId = "";
  /** `revisionId` is the answer of our last write (or the read it was based on); false while a write's answer is outstanding or lost. */
  private revisionKnown = false;
  /** Which of the alias and the two versions have provisioned concurrency configured. */
  private provisioned: ProvisionedSet = { alias: false, versions: new Set<string>(), where: [] };
  /** Set while our last write moved the primary version of a provisioned alias (Lambda may still be moving it). */
  private transition?: Pick<PrimaryChange, "primary" | "from">;
  /** Share on the target as last written to the alias. */
  percent = 0;
  /** Gathers the per-version evidence; undefined when the stack names no request metrics (or they are unreadable). */
  evidence?: EvidenceGatherer;
  /** The live evidence source (release/evidence/live-tail/), while it runs. */
  live?: LiveTailSource;
  preRelease?: PreRelease;
  /** When this run first shifted traffic (or, resumed, when the split is taken to have begun): the evidence window's start. */
  firstShiftAt?: number;
  /** The pair cannot be weighted (preflight): the 100% step points the alias wholly at the target. */
  private direct = false;
  /** The alias has been changed by this run (or was found split by an earlier one). */
  private touched = false;
  /** The last rollback changed the alias (false: it was already wholly on the previous version). */
  private rollbackWrote = false;
  /** After a rollback off a provisioned alias's primary: how long Lambda kept the rolled-back version serving. */
  private lambdaKept?: { readonly version: string; readonly seconds: number };
  smoke: SmokeResult[] = [];
  readonly checks: CheckRecord[] = [];
  private readonly notes: string[] = [];
  readonly skipped: string[];
  private finalAlias?: ReleaseReport["finalAlias"];
  /** The stage check (release/engine/stage-check-run.ts); set once preflight passed. */
  stageChecks?: StageChecker;

  constructor(
    readonly req: ReleaseRequest,
    readonly deps: ReleaseDeps,
  ) {
    this.startedAt = deps.clock.now();
    this.steps = planSchedule(req.settings);
    this.target = req.target;
    this.skipped = [...(req.skipped ?? [])];
  }

  async execute(): Promise<ReleaseReport> {
    try {
      return this.req.mode === "abort" ? await this.abort() : await this.release();
    } catch (e) {
      return this.fail(e);
    } finally {
      // However the run ends (promoted, rolled back, interrupted, crashed), the Live Tail session ends with it.
      await this.live?.close();
    }
  }

  private async release(): Promise<ReleaseReport> {
    const { aws, progress } = this.deps;
    const { req } = this;
    if (req.artifact !== undefined) {
      const published = await deployArtifact({ ...req.artifact, functionName: req.functionName, wait: { ...req.codeUpdateWait, abortSignal: this.deps.signal } }, aws, progress);
      this.target = published.version;
      if (!published.created) {
        // The same code was published before. Only when the alias wholly serves it is there
        // nothing to do; otherwise (an older version, or a split left by an earlier run) it is
        // released like any other version, and preflight sees an unfinished release.
        this.note(`no new version was published: this code is already version ${published.version}`);
      }
    }
    const target = this.target;
    if (target === undefined) throw gateFailed("no target version: give --to-version N, or --artifact <zip>.");

    // A split left by Lambda's own provisioned-concurrency transition is no release to refuse,
    // resume or abort: wait until Lambda is done with it (provisioned.ts).
    await waitForInheritedTransition(this.waitDeps(), req.functionName, req.alias);

    const pre = await preflight(aws.lambda, {
      functionName: req.functionName,
      alias: req.alias,
      target,
      stages: req.stages,
      weighted: this.steps.some((s) => s.percent < 100),
      finalHold: this.steps.some((s) => s.percent === 100 && s.bakeSeconds > 0),
      resume: req.mode === "resume",
    });
    if (pre.kind === "nothing-to-release") {
      this.finalAlias = pre.alias;
      this.previous = pre.alias.functionVersion;
      this.percent = 100;
      return this.report("nothing-to-release", EXIT.ok, `nothing to release: alias ${req.alias} already serves version ${target}.`);
    }
    this.previous = pre.previous;
    this.direct = pre.direct;
    this.revisionId = pre.alias.revisionId;
    this.revisionKnown = true;
    for (const n of pre.notes) this.note(n);
    if (pre.alias.zeroWeights !== undefined) {
      this.note(`alias ${req.alias} lists version ${pre.alias.zeroWeights.join(", ")} at weight 0, which routes no traffic; this release's first write clears it`);
    }
    this.provisioned = await findProvisioned(aws.lambda, req.functionName, req.alias, [pre.previous, target]);
    if (this.provisioned.where.length > 0) this.note(`provisioned concurrency on ${this.provisioned.where.join(" and ")}: each step is judged only once it is READY`);
    if (pre.resumeFromPercent !== undefined) {
      const current = pre.resumeFromPercent;
      this.percent = current;
      this.touched = true;
      // A split left between two steps (the schedule changed, or it was set by hand) is baked
      // where it is before moving on, so no weight is skipped unjudged.
      if (!this.steps.some((s) => s.percent === current)) {
        this.steps = [...this.steps.filter((s) => s.percent < current), { percent: current, bakeSeconds: req.settings.stepBakeSeconds }, ...this.steps.filter((s) => s.percent > current)];
      }
    }
    progress.line(`preflight ok: alias ${req.alias} → version ${pre.previous}; releasing version ${target} (${req.settings.strategy}: ${this.steps.map((s) => `${s.percent}%`).join(" → ")})`);

    const health = await watchAlarms(this, target, pre.previous);
    this.throwIfInterrupted();
    // Metrics are read from a minute before the first shift, so the minute it happened in is
    // whole. A resumed run has no record of when the split began: it looks back over every
    // bake up to the current weight, so the earlier run's errors are judged too.
    // On evidence a step may hold up to its deadline, so each counts that long.
    const held = (s: Step) => (req.requestMetrics !== undefined ? Math.max(s.bakeSeconds, req.settings.health.evidenceDeadlineSeconds) : s.bakeSeconds);
    const lookback = req.mode === "resume" && this.percent > 0 ? this.steps.filter((s) => s.percent <= this.percent).reduce((n, s) => n + held(s), req.settings.health.metricDelaySeconds) : 0;
    // Read before the smoke gate: how the previous version fared decides whether a failed smoke invocation may be repeated.
    await prepareEvidence(this, target, pre.previous, new Date(this.deps.clock.now() - 60_000 - lookback * 1000));
    await smokeGate(this, target);
    if (req.alarmNames.length === 0) this.skipped.push("alarms: none configured for this alias");
    this.stageChecks = stageCheckerFor(req, this.deps, this.skipped);

    const since = new Date(this.deps.clock.now() - 60_000 - lookback * 1000);
    if (this.steps.some((s) => s.bakeSeconds > 0)) {
      const before = await health.throttleBaseline(since, THROTTLE_BASELINE_MINUTES);
      if (before > 0) this.note(`the alias had ${before} throttles in the ${THROTTLE_BASELINE_MINUTES} minutes before the release; that rate is tolerated on top of maxThrottles`);
    }
    const first = this.steps.findIndex((s) => s.percent >= this.percent);
    for (let i = first; i < this.steps.length; i++) {
      const step = this.steps[i];
      if (step.percent === 100 && step.bakeSeconds === 0) break;
      if (step.percent !== this.percent) await this.shiftTo(step.percent, target, i);
      // Through API Gateway before the step is judged: a broken path fails at once (release/engine/stage-check-run.ts).
      await checkStagesAt(this);
      await bakeStep(this, step, i, health, since);
    }
    if (this.steps.some((s) => s.percent === 100 && s.bakeSeconds === 0)) {
      this.skipped.push(req.settings.strategy === "all-at-once" ? "health: not watched after the switch (finalBakeSeconds is 0); set --final-bake to watch it" : "health at 100%: not watched (finalBakeSeconds is 0)");
    }
    await this.promote(target);
    if (this.stageChecks?.active === true && !this.stageChecks.checkedAtFull) {
      // No check saw the target carry all traffic before promotion (no final bake): check now, once Lambda's own weights are gone.
      if (this.transition !== undefined) await this.settle(this.transition);
      await checkStagesAt(this);
    }
    return this.verifyPromotion(target, pre.previous);
  }

  /**
   * Moves `percent` of the alias's traffic to the target, guarded by the RevisionId of our last
   * write. 100 is the final bake's hold (previous + target at weight 1.0), which keeps the
   * release visible as unfinished until promote() clears the weights.
   */
  private async shiftTo(percent: number, target: string, index: number): Promise<void> {
    this.throwIfInterrupted();
    // Marked before the call: a write that AWS applied but whose answer was lost must still be rolled back.
    this.touched = true;
    this.firstShiftAt ??= this.deps.clock.now();
    this.revisionKnown = false;
    const to = this.direct && percent === 100 ? { functionVersion: target, weights: {} } : { functionVersion: this.previous ?? "", weights: { [target]: percent } };
    this.revisionId = await this.deps.aws.lambda.updateAlias(this.req.functionName, this.req.alias, { ...to, revisionId: this.revisionId });
    this.revisionKnown = true;
    if (to.functionVersion === target && this.provisioned.alias && this.previous !== undefined) {
      // The direct switch moves the primary version: Lambda's own weights must clear before the bake reads the alias.
      this.transition = { primary: target, from: this.previous };
      await this.settle(this.transition);
    }
    this.percent = percent;
    const hold = this.direct ? `final bake; alias ${this.req.alias} points straight at version ${target} (no weighted hold, see preflight)` : `final bake; version ${this.previous ?? "?"} stays primary until promotion`;
    this.deps.progress.line(`[step ${index + 1}/${this.steps.length}] ${percent}% on version ${target}${percent === 100 ? ` (${hold})` : ""}`);
  }

  /** Alias → target wholly, weights cleared. */
  private async promote(target: string): Promise<void> {
    this.throwIfInterrupted();
    if (this.direct && this.percent === 100) {
      this.deps.progress.line(`promoting: alias ${this.req.alias} has pointed wholly to version ${target} since the switch`);
      return;
    }
    this.touched = true;
    this.revisionKnown = false;
    this.revisionId = await this.deps.aws.lambda.updateAlias(this.req.functionName, this.req.alias, { functionVersion: target, weights: {}, revisionId: this.revisionId });
    this.revisionKnown = true;
    if (this.provisioned.alias && this.previous !== undefined) this.transition = { primary: target, from: this.previous };
    this.percent = 100;
    this.deps.progress.line(`promoting: alias ${this.req.alias} now points wholly to version ${target}`);
  }

  /**
   * Reads the alias back once promoted. If that read fails, the release is not rolled back:
   * it passed every check and the write was accepted; the report says it is unverified.
   */
  private async verifyPromotion(target: string, previous: string): Promise<ReleaseReport> {
    const { req } = this;
    let final: AliasState | undefined;
    try {
      final = this.transition !== undefined ? await this.settle(this.transition) : await this.deps.aws.lambda.getAlias(req.functionName, req.alias);
    } catch (e) {
      // Only what the read found (someone else's write, a signal) undoes the promotion; a read
      // that failed (AccessDenied included) leaves it accepted and unverified, as the README promises.
      if (e instanceof ReleaseStop && e.kind !== "aws-error") throw e;
      this.skipped.push(`promotion check: GetAlias failed (${describeError(e)})`);
      return this.report(
        "promoted",
        EXIT.ok,
        `version ${target} promoted (UpdateAlias accepted) but not verified: GetAlias failed (${describeError(e)}). Check it with 'aws lambda get-alias --function-name ${req.functionName} --name ${req.alias}'.`,
      );
    }
    this.finalAlias = final;
    if (final !== undefined && this.revisionKnown && this.transition === undefined && final.revisionId !== this.revisionId) {
      throw conflict(
        `after promotion alias ${req.alias} was written again by someone else (RevisionId ${this.revisionId}, now ${final.revisionId}; ${describeAliasState(final)}); it was left as they set it. Check it and rerun.`,
      );
    }
    if (final === undefined || !sameAlias(final, { functionVersion: target, weights: {} })) {
      throw conflict(
        `after promotion alias ${req.alias} is ${final === undefined ? "gone" : describeAliasState(final)}, not wholly on version ${target}; someone changed it meanwhile and it was left as they set it. Check it and rerun.`,
      );
    }
    return this.report("promoted", EXIT.ok, `version ${target} promoted: alias ${req.alias} serves it wholly (was ${previous}).`);
  }

  private waitDeps() {
    return { lambda: this.deps.aws.lambda, clock: this.deps.clock, progress: this.deps.progress, signal: this.deps.signal };
  }

  /** Before a step is judged: the provisioned concurrency of the alias and of the versions carrying traffic is READY. */
  async provisionedReady(percent: number): Promise<void> {
    const scope = { functionName: this.req.functionName, alias: this.req.alias, previous: this.previous ?? "", target: this.target ?? "" };
    const qualifiers = servingQualifiers(this.provisioned, scope, percent);
    if (qualifiers.length === 0) return;
    const ready = await waitForProvisionedReady(this.waitDeps(), this.req.functionName, qualifiers);
    this.throwIfInterrupted();
    const failed = notReadyStop(ready, scope, percent);
    if (failed !== undefined) throw failed;
  }

  /** Waits for Lambda's own weights after a write that moved the primary version of a provisioned alias. */
  private async settle(change: Pick<PrimaryChange, "primary" | "from">): Promise<AliasState | undefined> {
    const settled = await waitForAliasToSettle(this.waitDeps(), { functionName: this.req.functionName, alias: this.req.alias, ...change });
    const failed = unsettledStop(settled, { functionName: this.req.functionName, alias: this.req.alias, ...change });
    if (failed !== undefined) throw failed;
    this.throwIfInterrupted();
    if (settled.kind !== "settled") throw stop("interrupted", EXIT.interrupted, "interrupted while Lambda allocated provisioned concurrency");
    // Lambda's own routing changes may carry a new RevisionId; the settled alias is ours.
    this.revisionId = settled.alias.revisionId;
    this.revisionKnown = true;
    this.transition = undefined;
    return settled.alias;
  }

  /** During a bake: any write since ours (RevisionId) is a concurrent change; never judge or undo it. */
  async guardAlias(): Promise<void> {
    if (!this.revisionKnown) return;
    const now = await this.deps.aws.lambda.getAlias(this.req.functionName, this.req.alias);
    if (now !== undefined && now.revisionId === this.revisionId) return;
    throw conflict(
      `alias ${this.req.alias} was changed by someone else during the bake at ${this.percent}% (RevisionId ${this.revisionId}, now ${now === undefined ? "none: the alias is gone" : `${now.revisionId}, ${describeAliasState(now)}`}); it was left as they set it. Check it with 'aws lambda get-alias --function-name ${this.req.functionName} --name ${this.req.alias}', then rerun (or --abort if it is still split).`,
    );
  }

  throwIfInterrupted(): void {
    if (this.deps.signal.aborted) {
      const why = typeof this.deps.signal.reason === "string" ? this.deps.signal.reason : "a signal";
      throw stop("interrupted", EXIT.interrupted, `interrupted by ${why}; run the release again when ready`);
    }
  }

  /** `--abort`: put a split alias wholly back on its primary version. */
  private async abort(): Promise<ReleaseReport> {
    await waitForInheritedTransition(this.waitDeps(), this.req.functionName, this.req.alias);
    const alias = await this.deps.aws.lambda.getAlias(this.req.functionName, this.req.alias);
    if (alias === undefined) throw gateFailed(`alias ${this.req.alias} does not exist on function ${this.req.functionName}; check --alias (or the stack outputs) and run 'pulumi up' for this stack.`);
    const split = Object.entries(alias.weights);
    const zero = alias.zeroWeights ?? [];
    this.finalAlias = alias;
    this.previous = alias.functionVersion;
    if (split.length === 0 && zero.length === 0) return this.report("nothing-to-release", EXIT.ok, `nothing to abort: alias ${this.req.alias} is wholly on version ${alias.functionVersion}.`);
    // A weight of 0 routes nothing but is still a split to clear, or the alias never reads as wholly on its version.
    [[this.target, this.percent]] = split.length > 0 ? split : [[zero[0], 0]];
    this.revisionId = alias.revisionId;
    this.revisionKnown = true;
    this.touched = true;
    const failed = await this.rollback();
    if (failed !== undefined) return this.fromStop(failed);
    const what = split.length > 0 ? `the unfinished release of version ${this.target} (${split[0][1]}%) was rolled back` : `the weight 0 on version ${zero.join(", ")} was cleared`;
    return this.report("aborted", EXIT.rolledBack, `aborted: ${what}; alias ${this.req.alias} is wholly on version ${this.previous}.`);
  }

  /** Alias → previous version, weights cleared, checked (see rollback.ts). Returns a stop if that failed. */
  private async rollback(): Promise<ReleaseStop | undefined> {
    const result = await rollbackAlias(
      this.deps.aws.lambda,
      {
        functionName: this.req.functionName,
        alias: this.req.alias,
        previous: this.previous ?? "",
        target: this.target ?? "",
        lastRevisionId: this.revisionKnown ? this.revisionId : undefined,
        transition: this.transition,
        provisioned: this.provisioned.alias,
      },
      this.deps.progress,
      { clock: this.deps.clock },
    );
    if (result.finalAlias !== undefined) this.finalAlias = result.finalAlias;
    if (result.stop === undefined) this.percent = 0;
    this.rollbackWrote = result.wrote === true;
    this.lambdaKept = result.lambdaKept;
    return result.stop;
  }

  private async fail(e: unknown): Promise<ReleaseReport> {
    const reason = e instanceof ReleaseStop ? e : stop("aws-error", EXIT.awsError, describeError(e));
    // A conflict means someone else owns the alias now: writing it back would overwrite their change.
    if (!this.touched || reason.kind === "conflict") return this.fromStop(reason);
    const failed = await this.rollback();
    if (failed !== undefined) return this.report(failed.kind, failed.exitCode, `${reason.message}; then ${failed.message}`);
    const kept = this.lambdaKept !== undefined ? ` (Lambda kept version ${this.lambdaKept.version} serving for ${this.lambdaKept.seconds} s after the rollback was written, while it allocated version ${this.previous ?? "?"}'s provisioned concurrency)` : "";
    const where = `alias ${this.req.alias} is wholly on version ${this.previous ?? "?"}${kept}`;
    return this.report(reason.kind, reason.exitCode, `${reason.message}; ${this.rollbackWrote ? `rolled back: ${where}` : `no traffic had moved: ${where}`}.`);
  }

  private fromStop(s: ReleaseStop): ReleaseReport {
    return this.report(s.kind, s.exitCode, s.message);
  }

  note(text: string): void {
    this.notes.push(text);
    this.deps.progress.line(`note: ${text}`);
  }

  private report(outcome: OutcomeKind, exitCode: ExitCode, message: string): ReleaseReport {
    return {
      outcome,
      exitCode,
      message,
      environment: this.req.environment,
      functionName: this.req.functionName,
      alias: this.req.alias,
      fromVersion: this.previous,
      toVersion: this.target,
      strategy: this.req.settings.strategy,
      steps: this.steps,
      finalPercent: this.percent,
      finalAlias: this.finalAlias,
      smoke: this.smoke,
      checks: this.checks,
      notes: this.notes,
      skipped: this.skipped,
      ...(this.stageChecks !== undefined && this.stageChecks.records.length > 0 ? { stageChecks: this.stageChecks.records } : {}),
      ...(this.live !== undefined ? { liveEvidence: this.live.summary() } : {}),
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date(this.deps.clock.now()).toISOString(),
    };
  }
}

