/**
 * The release state machine: preflight → smoke gate → shift weights step by step while
 * watching health → promote, or roll back. Whatever happens after the alias was first
 * touched, the run ends with the alias wholly on one version (or says loudly why it could not).
 */
import type { AwsPorts } from "./aws/clients";
import { errorName } from "./aws/call";
import type { CodeUpdateWait } from "./aws/lambda";
import { deployArtifact } from "./artifact";
import { formatDuration, type Clock } from "./clock";
import { runSmoke, type SmokeEvent, type SmokeResult } from "./gate";
import { HealthMonitor } from "./health";
import { EXIT, ReleaseStop, conflict, gateFailed, type ExitCode, type OutcomeKind } from "./outcome";
import { preflight } from "./preflight";
import type { CheckRecord, Progress, ReleaseReport } from "./report";
import { planSchedule, type Step } from "./schedule";
import type { ReleaseSettings } from "./settings";
import type { StageOutput } from "./stack-outputs";

export type ReleaseMode = "start" | "resume" | "abort";

export interface ReleaseRequest {
  readonly environment?: string;
  readonly functionName: string;
  readonly alias: string;
  /** Stages routing to the alias (their invoke permission is checked); empty with explicit flags. */
  readonly stages: readonly StageOutput[];
  readonly alarmNames: readonly string[];
  readonly settings: ReleaseSettings;
  /** Version to release; undefined in artifact mode, where publishing decides it. */
  readonly target?: string;
  readonly mode: ReleaseMode;
  readonly artifact?: { readonly file: string; readonly bucket: string; readonly keyPrefix: string };
  readonly codeUpdateWait: Omit<CodeUpdateWait, "abortSignal">;
  readonly smokeEvents: readonly SmokeEvent[];
  /** Checks the caller already knows will not be made. */
  readonly skipped?: readonly string[];
}

export interface ReleaseDeps {
  readonly aws: AwsPorts;
  readonly clock: Clock;
  /** Aborted by SIGINT/SIGTERM; the run then rolls back. */
  readonly signal: AbortSignal;
  readonly progress: Progress;
}

export function runRelease(req: ReleaseRequest, deps: ReleaseDeps): Promise<ReleaseReport> {
  return new ReleaseRun(req, deps).execute();
}

const stop = (kind: OutcomeKind, exitCode: ExitCode, message: string) => new ReleaseStop(kind, exitCode, message);

class ReleaseRun {
  private readonly startedAt: number;
  private steps: Step[];
  private target?: string;
  private previous?: string;
  private revisionId = "";
  /** Share on the target as last written to the alias. */
  private percent = 0;
  /** The alias has been changed by this run (or was found split by an earlier one). */
  private touched = false;
  private smoke: SmokeResult[] = [];
  private readonly checks: CheckRecord[] = [];
  private readonly notes: string[] = [];
  private readonly skipped: string[];
  private finalAlias?: ReleaseReport["finalAlias"];

  constructor(
    private readonly req: ReleaseRequest,
    private readonly deps: ReleaseDeps,
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
    }
  }

  private async release(): Promise<ReleaseReport> {
    const { aws, progress } = this.deps;
    const { req } = this;
    if (req.artifact !== undefined) {
      const published = await deployArtifact({ ...req.artifact, functionName: req.functionName, wait: { ...req.codeUpdateWait, abortSignal: this.deps.signal } }, aws, progress);
      this.target = published.version;
      if (!published.created) {
        const alias = await aws.lambda.getAlias(req.functionName, req.alias);
        const serves = alias?.functionVersion === published.version && Object.keys(alias.weights).length === 0;
        return this.report(
          "nothing-to-release",
          EXIT.ok,
          `no new version was published: this code is already version ${published.version}${serves ? `, which alias ${req.alias} serves` : `; alias ${req.alias} serves version ${alias?.functionVersion ?? "?"}; to release ${published.version} anyway run with --to-version ${published.version} (without --artifact)`}.`,
        );
      }
    }
    const target = this.target;
    if (target === undefined) throw gateFailed("no target version: give --to-version N, or --artifact <zip>.");

    const pre = await preflight(aws.lambda, {
      functionName: req.functionName,
      alias: req.alias,
      target,
      stages: req.stages,
      weighted: this.steps.some((s) => s.percent < 100),
      resume: req.mode === "resume",
    });
    if (pre.kind === "nothing-to-release") {
      this.finalAlias = pre.alias;
      this.previous = pre.alias.functionVersion;
      this.percent = 100;
      return this.report("nothing-to-release", EXIT.ok, `nothing to release: alias ${req.alias} already serves version ${target}.`);
    }
    this.previous = pre.previous;
    this.revisionId = pre.alias.revisionId;
    for (const n of pre.notes) this.note(n);
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

    this.throwIfInterrupted();
    await this.smokeGate(target);

    const health = new HealthMonitor(aws.cloudwatch, { functionName: req.functionName, alias: req.alias, target, previous: pre.previous, alarmNames: req.alarmNames }, req.settings.health);
    const baseline = await health.baseline();
    if (baseline.missing.length > 0) {
      throw gateFailed(`alarm${baseline.missing.length === 1 ? "" : "s"} ${baseline.missing.join(", ")} configured for alias ${req.alias} not found (metric alarms); health could not be watched. Fix alarmNames in the stack outputs.`);
    }
    if (baseline.firing.length > 0) this.note(`already in ALARM before the release (judged by version error rates instead): ${baseline.firing.join(", ")}`);
    if (req.alarmNames.length === 0) this.skipped.push("alarms: none configured for this alias");

    // Metrics are read from a minute before the first shift, so the minute it happened in is whole.
    const since = new Date(this.deps.clock.now() - 60_000);
    const first = this.steps.findIndex((s) => s.percent >= this.percent);
    for (let i = first; i < this.steps.length; i++) {
      const step = this.steps[i];
      if (step.percent !== this.percent || step.percent === 100) await this.shiftTo(step.percent, target, i);
      await this.bake(step, i, health, since);
    }

    const final = await aws.lambda.getAlias(req.functionName, req.alias);
    this.finalAlias = final;
    if (final === undefined || final.functionVersion !== target || Object.keys(final.weights).length > 0) {
      throw conflict(`after promotion alias ${req.alias} no longer points wholly to version ${target}; someone changed it meanwhile and it was left as they set it.`);
    }
    return this.report("promoted", EXIT.ok, `version ${target} promoted: alias ${req.alias} serves it wholly (was ${pre.previous}).`);
  }

  private async smokeGate(target: string): Promise<void> {
    const { req } = this;
    if (!req.settings.smoke) {
      this.skipped.push("smoke gate: turned off (smoke: false / --no-smoke)");
      return;
    }
    if (req.smokeEvents.length === 0) throw gateFailed("smoke gate: no smoke events; add them to lambda-src/smoke-events.ts or pass --no-smoke.");
    this.smoke = await runSmoke(this.deps.aws.lambda, req.functionName, target, req.smokeEvents);
    for (const s of this.smoke) this.deps.progress.line(`smoke ${s.ok ? "ok  " : "FAIL"} ${s.name}${s.statusCode !== undefined ? ` → ${s.statusCode}` : ""}${s.problem !== undefined ? `: ${s.problem}` : ""}`);
    const failed = this.smoke.filter((s) => !s.ok);
    if (failed.length > 0) {
      throw gateFailed(`smoke gate: ${failed.length} of ${this.smoke.length} invocations of version ${target} failed (${failed.map((f) => `${f.name}: ${f.problem ?? ""}`).join("; ")}); no traffic was moved.`);
    }
  }

  /** Moves the alias to `percent` on the target, guarded by the RevisionId of our last write. */
  private async shiftTo(percent: number, target: string, index: number): Promise<void> {
    this.throwIfInterrupted();
    const previous = this.previous ?? "";
    this.revisionId = await this.deps.aws.lambda.updateAlias(this.req.functionName, this.req.alias, {
      functionVersion: percent === 100 ? target : previous,
      weights: percent === 100 ? {} : { [target]: percent },
      revisionId: this.revisionId,
    });
    this.touched = true;
    this.percent = percent;
    this.deps.progress.line(`[step ${index + 1}/${this.steps.length}] ${percent}% on version ${target}${percent === 100 ? " (alias now points to it wholly)" : ""}`);
  }

  /**
   * Holds a step for its bake time, checking health every checkIntervalSeconds. The last
   * check comes metricDelaySeconds after the bake ends, because CloudWatch publishes Lambda
   * metrics late and the bake's final minute would otherwise go unjudged.
   */
  private async bake(step: Step, index: number, health: HealthMonitor, since: Date): Promise<void> {
    if (step.bakeSeconds === 0) return;
    const { clock } = this.deps;
    const h = this.req.settings.health;
    const judgeUntil = clock.now() + (step.bakeSeconds + h.metricDelaySeconds) * 1000;
    const later = this.steps.slice(index + 1).reduce((n, s) => n + (s.bakeSeconds > 0 ? s.bakeSeconds + h.metricDelaySeconds : 0), 0);
    while (clock.now() < judgeUntil) {
      await clock.sleep(Math.min(h.checkIntervalSeconds * 1000, judgeUntil - clock.now()), this.deps.signal);
      this.throwIfInterrupted();
      const { sample, verdict } = await health.check(since, new Date(clock.now()));
      const firing = Object.entries(sample.alarms).filter(([, s]) => s === "ALARM").map(([n]) => n);
      this.checks.push({
        at: new Date(clock.now()).toISOString(),
        percent: this.percent,
        healthy: verdict.healthy,
        reasons: verdict.reasons,
        targetInvocations: sample.target.invocations,
        targetErrors: sample.target.errors,
        previousInvocations: sample.previous.invocations,
        previousErrors: sample.previous.errors,
        throttles: sample.throttles,
        alarmsInAlarm: firing,
      });
      const left = Math.max(0, judgeUntil - clock.now()) / 1000;
      this.deps.progress.status(
        `[step ${index + 1}/${this.steps.length}] ${this.percent}% · step ${formatDuration(left)} left, total ${formatDuration(left + later)} · target ${sample.target.errors}/${sample.target.invocations} errors` +
          `${verdict.targetErrorRate !== undefined ? ` (${verdict.targetErrorRate.toFixed(2)}%)` : ""} · previous ${sample.previous.errors}/${sample.previous.invocations} · throttles ${sample.throttles} · alarms ${firing.length === 0 ? "ok" : firing.join(",")}`,
      );
      if (!verdict.healthy) throw stop("rolled-back", EXIT.rolledBack, `health failed at ${this.percent}%: ${verdict.reasons.join("; ")}`);
    }
  }

  private throwIfInterrupted(): void {
    if (this.deps.signal.aborted) {
      const why = typeof this.deps.signal.reason === "string" ? this.deps.signal.reason : "a signal";
      throw stop("interrupted", EXIT.interrupted, `interrupted by ${why}`);
    }
  }

  /** `--abort`: put a split alias wholly back on its primary version. */
  private async abort(): Promise<ReleaseReport> {
    const alias = await this.deps.aws.lambda.getAlias(this.req.functionName, this.req.alias);
    if (alias === undefined) throw gateFailed(`alias ${this.req.alias} does not exist on function ${this.req.functionName}.`);
    const split = Object.entries(alias.weights);
    this.finalAlias = alias;
    this.previous = alias.functionVersion;
    if (split.length === 0) return this.report("nothing-to-release", EXIT.ok, `nothing to abort: alias ${this.req.alias} is wholly on version ${alias.functionVersion}.`);
    [[this.target, this.percent]] = split;
    this.revisionId = alias.revisionId;
    this.touched = true;
    const failed = await this.rollback();
    if (failed !== undefined) return this.fromStop(failed);
    return this.report("aborted", EXIT.rolledBack, `aborted: the unfinished release of version ${this.target} (${split[0][1]}%) was rolled back; alias ${this.req.alias} is wholly on version ${this.previous}.`);
  }

  /** Alias → previous version, weights cleared, checked with GetAlias. Returns a stop if that failed. */
  private async rollback(): Promise<ReleaseStop | undefined> {
    const { aws, progress } = this.deps;
    const previous = this.previous ?? "";
    progress.line(`rolling back: alias ${this.req.alias} → version ${previous}, weights cleared`);
    try {
      this.revisionId = await aws.lambda.updateAlias(this.req.functionName, this.req.alias, { functionVersion: previous, weights: {}, revisionId: this.revisionId });
      this.percent = 0;
      const after = await aws.lambda.getAlias(this.req.functionName, this.req.alias);
      this.finalAlias = after;
      if (after === undefined || after.functionVersion !== previous || Object.keys(after.weights).length > 0) {
        return stop("rollback-failed", EXIT.rollbackFailed, `rollback was written but GetAlias does not show alias ${this.req.alias} wholly on version ${previous}; run again with --abort.`);
      }
      return undefined;
    } catch (e) {
      if (e instanceof ReleaseStop && e.kind === "conflict") return stop("conflict", EXIT.conflict, `not rolled back: ${e.message}`);
      return stop("rollback-failed", EXIT.rollbackFailed, `rolling back failed (${describeError(e)}); alias ${this.req.alias} may still be split: run again with --abort.`);
    }
  }

  private async fail(e: unknown): Promise<ReleaseReport> {
    const reason = e instanceof ReleaseStop ? e : stop("aws-error", EXIT.awsError, describeError(e));
    // A conflict means someone else owns the alias now: writing it back would overwrite their change.
    if (!this.touched || reason.kind === "conflict") return this.fromStop(reason);
    const failed = await this.rollback();
    if (failed !== undefined) return this.report(failed.kind, failed.exitCode, `${reason.message}; then ${failed.message}`);
    return this.report(reason.kind, reason.exitCode, `${reason.message}; rolled back: alias ${this.req.alias} is wholly on version ${this.previous ?? "?"}.`);
  }

  private fromStop(s: ReleaseStop): ReleaseReport {
    return this.report(s.kind, s.exitCode, s.message);
  }

  private note(text: string): void {
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
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date(this.deps.clock.now()).toISOString(),
    };
  }
}

function describeError(e: unknown): string {
  if (e instanceof ReleaseStop) return e.message;
  const message = e instanceof Error ? e.message : String(e);
  return `${errorName(e)}: ${message}`;
}
