/**
 * The stage check inside a release run: which stages are checked (or skipped, and why), one
 * check per stage after a shift, its record and progress line, and a failure as a ReleaseStop
 * that rolls back like a health failure (exit 1).
 *
 * Its requests are real requests through the alias: the function counts them in its request
 * metrics like any other (lambda-src/metrics.ts publishes per alias and version, with no mark
 * a client could set). At low traffic a check's few hundred healthy answers would dilute the
 * target's error rate or stand in for users' evidence of health, so the run keeps a ledger of
 * every answer the function gave to the check (its time and `x-function-version`) and takes them
 * out of the counts the health judgement reads (see `discountWindow`, `discountSample`).
 */
import { ROUTES } from "../../lambda-src/routes";
import { matchRoute } from "../../lambda-src/router";
import type { Clock } from "../core/clock";
import type { VersionFigures } from "../judge/decision";
import type { Window } from "../evidence/request-metrics";
import type { HealthSample } from "../judge/health";
import { EXIT, stop } from "../core/outcome";
import type { Progress, StageCheckRecord } from "./report";
import type { StageCheckSettings } from "../inputs/settings";
import type { ReleaseDeps, ReleaseRequest } from "./request";
import type { StageOutput } from "../inputs/stack-outputs";
import { judgeStage, SETTLE_SECONDS, type StageExpectation, type StageRoute } from "../stage-check/judge";
import { gatherStage, type StageHttpPort } from "../stage-check/http";

/** The read-only smoke events as requests through a stage: their method is GET, their path is kept. */
export function stageRoutes(events: ReadonlyArray<{ readonly name: string; readonly event: unknown }>): StageRoute[] {
  const routes: StageRoute[] = [];
  for (const { name, event } of events) {
    const e = event as { httpMethod?: unknown; path?: unknown; resource?: unknown } | null;
    if (e === null || typeof e !== "object" || e.httpMethod !== "GET" || typeof e.path !== "string") continue;
    const match = matchRoute(ROUTES, "GET", e.path);
    const onResource = ROUTES.find((r) => r.method === "GET" && r.path === e.resource);
    const handler = onResource?.handler ?? (match.kind === "found" ? match.route.handler : undefined);
    routes.push({ name, path: e.path, handler, pathParameters: match.kind === "found" ? match.pathParameters : undefined });
  }
  return routes;
}

export interface StageCheckInput {
  readonly alias: string;
  readonly stages: readonly StageOutput[];
  readonly settings: StageCheckSettings;
  readonly smokeEvents: ReadonlyArray<{ readonly name: string; readonly event: unknown }>;
  /** The caller's skipped list: the check's reasons for not running are added to it. */
  readonly skipped: string[];
}

export interface StageCheckDeps {
  readonly http: StageHttpPort;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly progress: Progress;
}

/** One answer the function gave to the check: when, and which version. */
interface Synthetic {
  readonly at: number;
  readonly version: string;
  /** The function answered 5xx (its EMF counts it as a server error). */
  readonly serverError: boolean;
}

export class StageChecker {
  readonly records: StageCheckRecord[] = [];
  private readonly ledger: Synthetic[] = [];
  private readonly checked: StageOutput[] = [];
  private readonly routes: StageRoute[];
  /** A check with the target carrying all traffic has passed in this run. */
  checkedAtFull = false;

  constructor(
    private readonly input: StageCheckInput,
    private readonly deps: StageCheckDeps,
  ) {
    this.routes = stageRoutes(input.smokeEvents);
    const s = input.settings;
    const already = input.skipped.some((x) => x.startsWith("stage check"));
    if (!s.enabled) {
      input.skipped.push("stage check: turned off (stageCheck.enabled: false / --no-stage-check); no request was sent through API Gateway");
      return;
    }
    if (input.stages.length === 0) {
      if (!already) input.skipped.push(`stage check: no stage routing to alias ${input.alias} is known, so no request was sent through API Gateway`);
      return;
    }
    if (this.routes.length === 0) {
      input.skipped.push("stage check: no read-only (GET) smoke events to send through the stages");
      return;
    }
    for (const stage of input.stages) {
      if (stage.endpointType === "PRIVATE" || s.privateStages.includes(stage.stageName)) {
        input.skipped.push(`stage check on stage ${stage.stageName}: a private API (${stage.endpointType === "PRIVATE" ? "endpointType PRIVATE in the stack outputs" : "listed in stageCheck.privateStages"}), callable only from inside its VPC`);
      } else this.checked.push(stage);
    }
  }

  get active(): boolean {
    return this.checked.length > 0;
  }

  /**
   * Checks every public stage at `percent`; throws a rolled-back ReleaseStop on the first stage
   * that fails. `smokeItemWritten`: the smoke gate stored its item in this run.
   */
  async check(percent: number, versions: { readonly previous: string; readonly target: string }, smokeItemWritten: boolean, previousUnattributedRate = 0): Promise<void> {
    const s = this.input.settings;
    const expect: StageExpectation = {
      versions: [versions.previous, versions.target],
      target: versions.target,
      requireTarget: percent >= 100,
      smokeItemWritten,
      previousUnattributedRate,
      ...(percent >= 100 ? { settleUntil: this.deps.clock.now() + SETTLE_SECONDS * 1000 } : {}),
    };
    for (const stage of this.checked) {
      const judged = await gatherStage({ http: this.deps.http, clock: this.deps.clock, signal: this.deps.signal }, stage.invokeUrl, this.routes, expect, s);
      for (const j of judged) if (j.answer.version !== undefined) this.ledger.push({ at: j.answer.at, version: j.answer.version, serverError: (j.answer.status ?? 0) >= 500 });
      if (this.deps.signal.aborted) return;
      const verdict = judgeStage(judged, this.routes.length, expect, s);
      const record: StageCheckRecord = {
        at: new Date(this.deps.clock.now()).toISOString(),
        percent,
        stage: stage.stageName,
        url: stage.invokeUrl,
        ok: verdict.ok,
        requests: verdict.requests,
        byVersion: verdict.byVersion,
        failures: verdict.failures,
        ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
      };
      this.records.push(record);
      const versionsSeen = Object.entries(verdict.byVersion).map(([v, n]) => `${v}: ${n}`).join(", ") || "none from the function";
      this.deps.progress.line(`stage check ${verdict.ok ? "ok  " : "FAIL"} ${stage.stageName} at ${percent}%: ${verdict.requests} request${verdict.requests === 1 ? "" : "s"} (versions ${versionsSeen})${verdict.reason !== undefined ? `; ${verdict.reason}` : ""}`);
      if (!verdict.ok) {
        throw stop(
          "rolled-back",
          EXIT.rolledBack,
          `stage check failed at ${percent}% on stage ${stage.stageName} (${stage.invokeUrl}): ${verdict.reason ?? "failed"}. The function may be healthy while the path through API Gateway is not: check the stage's lambda:InvokeFunction permission on alias ${this.input.alias}, its lambdaAlias stage variable and its deployment ('pulumi up'), then release again`,
        );
      }
    }
    if (expect.requireTarget) this.checkedAtFull = true;
  }

  /** Answers per version the function gave to the check at or before `until` (epoch ms). */
  answeredBy(until: number, only: (a: Synthetic) => boolean = () => true): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const a of this.ledger) if (a.at <= until && only(a)) counts[a.version] = (counts[a.version] ?? 0) + 1;
    return counts;
  }
}

/** The run's stage checker: the check is skipped (and listed) when the run was given no HTTP client. */
/** The release run as the stage check between its steps sees it. */
export interface StageCheckRun {
  readonly stageChecks?: StageChecker;
  readonly target?: string;
  readonly previous?: string;
  readonly percent: number;
  readonly smoke: readonly unknown[];
  /** The previous version before the release (its unhandled errors are answered by API Gateway without a version). */
  readonly preRelease?: { readonly previous?: VersionFigures };
  throwIfInterrupted(): void;
  guardAlias(): Promise<void>;
}

/** The stage check at the run's current weight; a failure throws a rollback like a health failure. */
export async function checkStagesAt(run: StageCheckRun): Promise<void> {
  if (run.stageChecks?.active !== true || run.target === undefined || run.previous === undefined) return;
  run.throwIfInterrupted();
  try {
    const previous = run.preRelease?.previous;
    const rate = previous?.unhandledErrors !== undefined && (previous.invocations ?? 0) > 0 ? previous.unhandledErrors / (previous.invocations ?? 1) : 0;
    await run.stageChecks.check(run.percent, { previous: run.previous, target: run.target }, run.smoke.length > 0, rate);
  } catch (e) {
    // A signal aborts the request in flight; someone else moving the alias explains a failed check (a conflict, never undone).
    run.throwIfInterrupted();
    await run.guardAlias();
    throw e;
  }
  run.throwIfInterrupted();
}

export function stageCheckerFor(req: ReleaseRequest, deps: ReleaseDeps, skipped: string[]): StageChecker {
  const settings = req.settings.stageCheck;
  const http = deps.stageHttp;
  if (http === undefined && settings.enabled) skipped.push("stage check: no HTTP client was given to the release run");
  return new StageChecker(
    { alias: req.alias, stages: req.stages, settings: http === undefined ? { ...settings, enabled: false } : settings, smokeEvents: req.smokeEvents, skipped: http === undefined ? [] : skipped },
    { http: http ?? (() => Promise.reject(new Error("no HTTP client"))), clock: deps.clock, signal: deps.signal, progress: deps.progress },
  );
}

/** The synthetic answers to take out of the counts, as far as each source has published them. */
export interface SyntheticCounts {
  /** In the function's EMF request metrics (visible after about evidenceDelaySeconds). */
  readonly emf: Readonly<Record<string, number>>;
  /** Of those, the function's own 5xx answers (EMF ServerErrors). */
  readonly emfServerErrors?: Readonly<Record<string, number>>;
  /** In Lambda's own Invocations (visible after about metricDelaySeconds). */
  readonly lambda: Readonly<Record<string, number>>;
}

/**
 * The check's answers that the metrics read at `now` may already hold: those older than each
 * source's publication delay. Newer ones are not taken out yet, since taking out requests that
 * are not counted yet would raise the remaining error rate; until then they dilute it by at
 * most one check's answers for a few seconds, and a step's bake is a minimum longer than that.
 */
export function syntheticAt(
  checker: StageChecker | undefined,
  now: number,
  delays: { readonly evidenceDelaySeconds: number; readonly metricDelaySeconds: number },
  /** Where the request counts are known complete (the live stream's watermark); otherwise evidenceDelaySeconds before now. */
  requestsUntil?: number,
): SyntheticCounts {
  if (checker === undefined) return { emf: {}, lambda: {} };
  const emfUntil = requestsUntil ?? now - delays.evidenceDelaySeconds * 1000;
  return { emf: checker.answeredBy(emfUntil), emfServerErrors: checker.answeredBy(emfUntil, (a) => a.serverError), lambda: checker.answeredBy(now - delays.metricDelaySeconds * 1000) };
}

/**
 * A version's figures without `emf` synthetic requests (`emfServerErrors` of them answered 5xx)
 * and `lambda` synthetic invocations. A request API Gateway answered 502 because the function
 * crashed names no version, so it is not taken out: it counts against the version that ran it.
 */
export function discountFigures(f: VersionFigures, emf: number, lambda: number, emfServerErrors = 0): VersionFigures {
  if (emf === 0 && lambda === 0) return f;
  const requests = Math.max(0, f.requests - emf);
  const invocations = f.invocations === undefined ? undefined : Math.max(0, f.invocations - lambda);
  const timed = f.latency === undefined ? undefined : Math.min(requests, Math.max(0, (f.latency.timedRequests ?? f.requests) - emf));
  return {
    ...f,
    requests,
    ...(f.serverErrors !== undefined ? { serverErrors: Math.min(Math.max(0, f.serverErrors - emfServerErrors), requests) } : {}),
    ...(invocations !== undefined ? { invocations } : {}),
    ...(f.unhandledErrors !== undefined ? { unhandledErrors: Math.min(f.unhandledErrors, invocations ?? requests) } : {}),
    // The check's own slow answers cannot be told apart (its latency includes API Gateway's), so
    // slow requests are kept: the target is judged no kinder than users saw it.
    ...(f.latency !== undefined && timed !== undefined ? { latency: { ...f.latency, timedRequests: timed, ...(f.latency.slowRequests !== undefined ? { slowRequests: Math.min(f.latency.slowRequests, timed) } : {}) } } : {}),
  };
}

/** The evidence window without the check's answers. */
export function discountWindow(w: Window, versions: { readonly previous: string; readonly target: string }, s: SyntheticCounts): Window {
  return {
    ...w,
    target: discountFigures(w.target, s.emf[versions.target] ?? 0, s.lambda[versions.target] ?? 0, s.emfServerErrors?.[versions.target] ?? 0),
    baseline: discountFigures(w.baseline, s.emf[versions.previous] ?? 0, s.lambda[versions.previous] ?? 0, s.emfServerErrors?.[versions.previous] ?? 0),
  };
}

/** Lambda's figures (the fixed-count rule) without the check's invocations. */
export function discountSample(sample: HealthSample, versions: { readonly previous: string; readonly target: string }, s: SyntheticCounts): HealthSample {
  const less = (f: HealthSample["target"], n: number) => {
    const invocations = Math.max(0, f.invocations - n);
    return { invocations, errors: Math.min(f.errors, invocations) };
  };
  return { ...sample, target: less(sample.target, s.lambda[versions.target] ?? 0), previous: less(sample.previous, s.lambda[versions.previous] ?? 0) };
}
