/**
 * The simulated world of one release: requests arriving at random, each routed by the alias's
 * weights at that moment to a version with its own failure rates and latency, and the metrics
 * CloudWatch would make of them, each becoming visible only after its delay.
 *
 * Assumptions, each stated where it is used:
 * - Requests are a Poisson process (`rps`); AWS calls of the release step take no time.
 * - Routing: a request goes to each AdditionalVersionWeights version with its weight's
 *   probability and to the primary otherwise
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
 * - An unhandled error is a thrown exception: Lambda counts it in `Errors`, API Gateway answers
 *   502, and the function's EMF document still counts it as a server error (it is written in a
 *   `finally`). A handled error is a 500 the function returned: not in `Errors`, but in
 *   `ServerErrors` and API Gateway's `5XXError`.
 * - Standard Lambda metrics (Invocations, Errors, Duration) and API Gateway's have 1-minute
 *   resolution (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html); a minute
 *   becomes visible `standardDelaySeconds` after it ends. The function's EMF metrics have 1 s
 *   resolution; a second becomes visible `emfDelaySeconds` after it ends.
 * - A gateway error is a request the function answered well (Lambda and the function's EMF
 *   count a success) that API Gateway still answers with its own 5xx, e.g. a malformed proxy
 *   result (502): only API Gateway's `5XXError` and the callers see it.
 * - The release step's stage check sends real requests through the alias (bench/release/stage.ts):
 *   they are routed, answered and counted like users' ones.
 * - Latency is stored as a histogram with bins 2% wide, as CloudWatch stores values
 *   approximately for percentiles, so percentile answers are within about 2%.
 */
import { exponential, lognormalLatency, seeded, type Random } from "./random";

export interface VersionBehaviour {
  /** Share of requests that throw (Lambda `Errors`). */
  readonly unhandledRate: number;
  /** Share of requests answered 500 by the function (Lambda sees a success). */
  readonly handledErrorRate: number;
  readonly latencyMedianMs: number;
  readonly latencyP99Ms: number;
  /** Share of requests the function answers well but API Gateway answers with its own 5xx (a malformed proxy result, say). Defaults to 0. */
  readonly gatewayErrorRate?: number;
  /** False for a build that writes no EMF request metrics (an old version): only Lambda's own metrics see it. Defaults to true. */
  readonly publishesMetrics?: boolean;
}

export interface WorldOptions {
  readonly seed: number;
  /** Mean requests per second through the alias. */
  readonly rps: number;
  readonly versions: Readonly<Record<string, VersionBehaviour>>;
  /** The alias's version when the world starts. */
  readonly primary: string;
  readonly emfDelaySeconds: number;
  readonly standardDelaySeconds: number;
  /** Epoch ms the world starts at. */
  readonly startMs: number;
}

/** One second of one version's traffic through the alias. */
interface Bucket {
  requests: number;
  unhandled: number;
  handled: number;
  gateway: number;
  latency: Uint32Array;
}

const BIN_RATIO = Math.log(1.02);
const MIN_LATENCY_MS = 0.1;
const BINS = 720;
const binOf = (ms: number) => Math.min(BINS - 1, Math.max(0, Math.floor(Math.log(ms / MIN_LATENCY_MS) / BIN_RATIO)));
/** The middle of a bin, in ms. */
const binValue = (bin: number) => MIN_LATENCY_MS * Math.exp((bin + 0.5) * BIN_RATIO);

const EMPTY = new Uint32Array(BINS);

/** Aggregates of one period, as CloudWatch would return them for one statistic or another. */
export interface PeriodFigures {
  readonly requests: number;
  readonly unhandled: number;
  readonly handled: number;
  /** Answered well by the function, with API Gateway's own 5xx to the caller. */
  readonly gateway: number;
  readonly latency: Uint32Array;
}

export interface AliasRecord {
  functionVersion: string;
  /** AWS decimals, 0.0–1.0. */
  weights: Record<string, number>;
  revisionId: string;
}

export interface AliasWrite {
  readonly atMs: number;
  readonly functionVersion: string;
  readonly weights: Readonly<Record<string, number>>;
}

/** What one invocation does: `gateway` is a success for the function that API Gateway answers with its own 5xx. */
export interface Outcome {
  readonly kind: "ok" | "unhandled" | "handled" | "gateway";
  readonly latencyMs: number;
}

export class World {
  nowMs: number;
  readonly alias: AliasRecord;
  /** Every write to the alias, in order. */
  readonly writes: AliasWrite[] = [];
  private readonly random: Random;
  private readonly buckets = new Map<number, Map<string, Bucket>>();
  private nextArrivalMs: number;
  private lastSecond = -1;
  private lastBuckets?: Map<string, Bucket>;
  private revision = 1;
  /** Requests served, per version, over the whole run (the simulator's own check). */
  readonly served = new Map<string, { requests: number; failed: number }>();

  constructor(readonly options: WorldOptions) {
    this.random = seeded(options.seed);
    this.nowMs = options.startMs;
    this.alias = { functionVersion: options.primary, weights: {}, revisionId: "rev-1" };
    this.nextArrivalMs = options.startMs + exponential(this.random, options.rps) * 1000;
  }

  /** Generates every request that arrives up to `ms`, routed by the alias as it is now. */
  advanceTo(ms: number): void {
    while (this.nextArrivalMs <= ms) {
      this.request(this.nextArrivalMs);
      this.nextArrivalMs += exponential(this.random, this.options.rps) * 1000;
    }
    if (ms > this.nowMs) this.nowMs = ms;
  }

  /** The version one request goes to, by the alias's weights. */
  private route(): string {
    let u = this.random();
    for (const [version, weight] of Object.entries(this.alias.weights)) {
      if (u < weight) return version;
      u -= weight;
    }
    return this.alias.functionVersion;
  }

  private request(atMs: number): void {
    this.serve(atMs);
  }

  /** One request through the alias at `atMs` (a user's, or the stage check's): routed, answered and counted. */
  serve(atMs: number): { version: string; kind: Outcome["kind"]; latencyMs: number } {
    const version = this.route();
    const outcome = this.outcome(version);
    const second = Math.floor(atMs / 1000);
    let perVersion = second === this.lastSecond ? this.lastBuckets : this.buckets.get(second);
    if (perVersion === undefined) this.buckets.set(second, (perVersion = new Map()));
    this.lastSecond = second;
    this.lastBuckets = perVersion;
    let bucket = perVersion.get(version);
    if (bucket === undefined) perVersion.set(version, (bucket = { requests: 0, unhandled: 0, handled: 0, gateway: 0, latency: new Uint32Array(BINS) }));
    bucket.requests++;
    if (outcome.kind === "unhandled") bucket.unhandled++;
    if (outcome.kind === "handled") bucket.handled++;
    if (outcome.kind === "gateway") bucket.gateway++;
    bucket.latency[binOf(outcome.latencyMs)]++;
    const total = this.served.get(version) ?? { requests: 0, failed: 0 };
    total.requests++;
    if (outcome.kind !== "ok") total.failed++;
    this.served.set(version, total);
    return { version, kind: outcome.kind, latencyMs: outcome.latencyMs };
  }

  /** What one invocation of `version` does. */
  outcome(version: string): Outcome {
    const b = this.options.versions[version];
    if (b === undefined) throw new Error(`the simulated function has no version ${version}`);
    const u = this.random();
    const gateway = b.unhandledRate + b.handledErrorRate + (b.gatewayErrorRate ?? 0);
    const kind = u < b.unhandledRate ? "unhandled" : u < b.unhandledRate + b.handledErrorRate ? "handled" : u < gateway ? "gateway" : "ok";
    return { kind, latencyMs: lognormalLatency(this.random, b.latencyMedianMs, b.latencyP99Ms) };
  }

  /** Applies an UpdateAlias, as Lambda does when the RevisionId matches. */
  writeAlias(functionVersion: string, weights: Record<string, number>): string {
    this.alias.functionVersion = functionVersion;
    this.alias.weights = { ...weights };
    this.alias.revisionId = `rev-${++this.revision}`;
    this.writes.push({ atMs: this.nowMs, functionVersion, weights: { ...weights } });
    return this.alias.revisionId;
  }

  /**
   * Figures of `version` (or every version, for alias-wide metrics) for the period
   * [startMs, startMs + periodMs), counting only seconds visible at `asOfMs`: a second of EMF
   * data `emfDelaySeconds` after it ends, a minute of standard data `standardDelaySeconds` after
   * the minute ends. Undefined when nothing in the period is visible (CloudWatch returns no
   * datapoint then).
   */
  period(version: string | undefined, startMs: number, periodMs: number, asOfMs: number, resolution: "emf" | "standard", withLatency = true): PeriodFigures | undefined {
    const first = Math.floor(startMs / 1000);
    const last = Math.ceil((startMs + periodMs) / 1000) - 1;
    const visibleSecond = (s: number) =>
      resolution === "emf" ? (s + 1) * 1000 + this.options.emfDelaySeconds * 1000 <= asOfMs : (Math.floor(s / 60) + 1) * 60_000 + this.options.standardDelaySeconds * 1000 <= asOfMs;
    let any = false;
    const sum: PeriodFigures = { requests: 0, unhandled: 0, handled: 0, gateway: 0, latency: withLatency ? new Uint32Array(BINS) : EMPTY };
    const mutable = sum as { requests: number; unhandled: number; handled: number; gateway: number };
    for (let s = first; s <= last; s++) {
      if (!visibleSecond(s)) continue;
      const perVersion = this.buckets.get(s);
      if (perVersion === undefined) continue;
      for (const [v, b] of perVersion) {
        if (version !== undefined && v !== version) continue;
        if (resolution === "emf" && this.options.versions[v]?.publishesMetrics === false) continue;
        any = true;
        mutable.requests += b.requests;
        mutable.unhandled += b.unhandled;
        mutable.handled += b.handled;
        mutable.gateway += b.gateway;
        if (withLatency) for (let i = 0; i < BINS; i++) if (b.latency[i] !== 0) sum.latency[i] += b.latency[i];
      }
    }
    return any ? sum : undefined;
  }

  /** Failed requests (unhandled, handled or API Gateway's own 5xx) that `version` served in [fromMs, toMs). */
  failuresServed(version: string, fromMs: number, toMs: number): number {
    let n = 0;
    for (let s = Math.floor(fromMs / 1000); s < Math.ceil(toMs / 1000); s++) {
      const b = this.buckets.get(s)?.get(version);
      if (b !== undefined) n += b.unhandled + b.handled + b.gateway;
    }
    return n;
  }
}

/** The value of latency percentile `p` (0–100) of a histogram; undefined when empty. */
export function percentile(latency: Uint32Array, p: number): number | undefined {
  let total = 0;
  for (const c of latency) total += c;
  if (total === 0) return undefined;
  const rank = (p / 100) * total;
  let seen = 0;
  for (let i = 0; i < latency.length; i++) {
    seen += latency[i];
    if (seen >= rank) return binValue(i);
  }
  return binValue(latency.length - 1);
}

/** How many values of a histogram are at or below `thresholdMs` (CloudWatch's TC(:threshold) count). */
export function countAtOrBelow(latency: Uint32Array, thresholdMs: number): number {
  let n = 0;
  for (let i = 0; i < latency.length; i++) if (binValue(i) <= thresholdMs) n += latency[i];
  return n;
}
