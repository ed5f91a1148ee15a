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
 *   resolution; a second becomes visible after its own delay, drawn for each second from a
 *   long-tailed distribution whose median is `emfDelaySeconds` (log-normal, p99 three times the
 *   median). AWS documents no figure: the EMF alarms page says metric creation "depends on your
 *   log publishing flow" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Alarms.html),
 *   users report a minute and more (aws/aws-sdk-java#2091), so the bench runs several medians.
 *   `emfStallSeconds` models a stalled pipeline: every second from the first alias write on
 *   becomes visible only that long after it ends.
 * - Each kind of failure (unhandled, handled, API Gateway's) draws from its own random stream,
 *   so workloads that differ only in the kind of failure do not fail on the same requests.
 * - A version may behave differently while it carries all of the alias's traffic
 *   (`atFullLoad`): a capacity limit that only full traffic reaches.
 * - A gateway error is a request the function answered well (Lambda and the function's EMF
 *   count a success) that API Gateway still answers with its own 5xx, e.g. a malformed proxy
 *   result (502): only API Gateway's `5XXError` and the callers see it.
 * - The release step's stage check sends real requests through the alias (bench/release/stage.ts):
 *   they are routed, answered and counted like users' ones.
 * - Latency is stored as a histogram with bins 2% wide, as CloudWatch stores values
 *   approximately for percentiles, so percentile answers are within about 2%.
 */
import { exponential, hashUniform, lognormalLatency, seeded, standardNormalFrom, type Random } from "./random";

/** The EMF delay's spread: log-normal with p99 three times the median (an assumption; see above). */
const EMF_DELAY_SIGMA = Math.log(3) / 2.3263478740408408;

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
  /** Failure rates while the version serves all of the alias's traffic (a capacity limit); the rates above otherwise. */
  readonly atFullLoad?: { readonly unhandledRate?: number; readonly handledErrorRate?: number };
}

export interface WorldOptions {
  readonly seed: number;
  /** Mean requests per second through the alias. */
  readonly rps: number;
  readonly versions: Readonly<Record<string, VersionBehaviour>>;
  /** The alias's version when the world starts. */
  readonly primary: string;
  /** The median delay of a second of EMF metrics (each second draws its own, long-tailed). */
  readonly emfDelaySeconds: number;
  readonly standardDelaySeconds: number;
  /** From the first alias write on, EMF seconds become visible only this long after they end (a stalled pipeline). */
  readonly emfStallSeconds?: number;
  /** Which alias write (0: the first) the stall starts at. Defaults to 0. */
  readonly emfStallFromWrite?: number;
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
  /** One stream per kind of failure, so that a workload's failures do not fall on another's requests. */
  private readonly failureRandom: Record<"unhandled" | "handled" | "gateway", Random>;
  /** Requests served, per version, over the whole run (the simulator's own check). */
  readonly served = new Map<string, { requests: number; failed: number }>();
  /** Told of every request served, as it is served (the Live Tail channel listens). */
  readonly listeners: Array<(atMs: number, version: string, outcome: Outcome) => void> = [];

  constructor(readonly options: WorldOptions) {
    this.random = seeded(options.seed);
    this.failureRandom = { unhandled: seeded(options.seed ^ 0x5f3759df), handled: seeded(options.seed ^ 0x1b873593), gateway: seeded(options.seed ^ 0x68e31da4) };
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
    for (const listen of this.listeners) listen(atMs, version, outcome);
    return { version, kind: outcome.kind, latencyMs: outcome.latencyMs };
  }

  /** Whether `version` serves all of the alias's traffic now. */
  private carriesAll(version: string): boolean {
    const weights = Object.entries(this.alias.weights);
    return weights.length === 0 ? this.alias.functionVersion === version : weights.some(([v, w]) => v === version && w >= 1);
  }

  /** What one invocation of `version` does; each kind of failure is drawn from its own stream, with the same overall rates. */
  outcome(version: string): Outcome {
    const b = this.options.versions[version];
    if (b === undefined) throw new Error(`the simulated function has no version ${version}`);
    const full = b.atFullLoad !== undefined && this.carriesAll(version) ? b.atFullLoad : {};
    const unhandled = full.unhandledRate ?? b.unhandledRate;
    const handled = full.handledErrorRate ?? b.handledErrorRate;
    const gateway = b.gatewayErrorRate ?? 0;
    const f = this.failureRandom;
    // P(unhandled) = u, P(handled) = h, P(gateway) = g, as with one draw, but from separate streams.
    const kind =
      f.unhandled() < unhandled ? "unhandled" : f.handled() * (1 - unhandled) < handled ? "handled" : f.gateway() * (1 - unhandled - handled) < gateway ? "gateway" : "ok";
    return { kind, latencyMs: lognormalLatency(this.random, b.latencyMedianMs, b.latencyP99Ms) };
  }

  /** Seconds after second `s` ends that its EMF metrics become visible. */
  emfDelayOf(s: number): number {
    const stall = this.options.emfStallSeconds;
    const from = this.writes[this.options.emfStallFromWrite ?? 0];
    if (stall !== undefined && from !== undefined && s * 1000 >= from.atMs) return stall;
    return this.options.emfDelaySeconds * Math.exp(EMF_DELAY_SIGMA * standardNormalFrom(hashUniform(this.options.seed, s, 1), hashUniform(this.options.seed, s, 2)));
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
      resolution === "emf" ? (s + 1) * 1000 + this.emfDelayOf(s) * 1000 <= asOfMs : (Math.floor(s / 60) + 1) * 60_000 + this.options.standardDelaySeconds * 1000 <= asOfMs;
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
