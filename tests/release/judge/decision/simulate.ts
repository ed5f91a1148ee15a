/**
 * Seeded simulated releases for the decision rule's error-rate tests: requests arrive as a
 * Poisson process, a share goes to the target, each fails (or is slow) independently; the rule
 * is asked every `lookSeconds` on the cumulative counts, as the controller will ask it.
 */
import { seeded as mulberry32 } from "../../../../bench/release/random";
import { decide, type Decision, type DecisionInput, type DecisionSettings } from "../../../../release/judge/decision";

/** Poisson variate: Knuth's product method for small means, a rounded normal above 50 (enough for traffic counts). */
export function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) {
    const u = Math.max(rand(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

/** Binomial variate by counting Bernoulli trials (n is small per look), Poisson for large n·p-small cases. */
export function binomial(rand: () => number, n: number, p: number): number {
  if (p <= 0 || n === 0) return 0;
  if (n > 2000 && p < 0.05) return Math.min(n, poisson(rand, n * p));
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
}

export interface World {
  /** Requests per second on the alias. */
  readonly rps: number;
  /** Target's share of the traffic, 0–1. */
  readonly share: number;
  readonly targetFailure: number;
  readonly previousFailure: number;
  /** Share of each version's requests slower than the threshold (omit: latency not reported). */
  readonly targetSlow?: number;
  readonly previousSlow?: number;
  /** Seconds of previous-version traffic before the release (all of `rps`). */
  readonly preReleaseSeconds: number;
  readonly lookSeconds: number;
  readonly horizonSeconds: number;
  /** Stop at the first "healthy" (as the controller advances) instead of looking on to the horizon. */
  readonly stopWhenHealthy: boolean;
}

export interface RunResult {
  readonly outcome: Decision["outcome"];
  /** Seconds into the window when the rule decided (the horizon when it did not). */
  readonly seconds: number;
  /** Failed target requests served up to the decision. */
  readonly targetFailures: number;
}

interface Counts {
  requests: number;
  failures: number;
  slow: number;
}

function draw(rand: () => number, rate: number, seconds: number, failure: number, slow: number | undefined, into: Counts): void {
  const n = poisson(rand, rate * seconds);
  into.requests += n;
  into.failures += binomial(rand, n, failure);
  if (slow !== undefined) into.slow += binomial(rand, n, slow);
}

const figures = (c: Counts, withSlow: boolean) => ({ requests: c.requests, serverErrors: c.failures, ...(withSlow ? { latency: { slowRequests: c.slow } } : {}) });

export function runOnce(w: World, settings: DecisionSettings, seed: number): RunResult {
  const rand = mulberry32(seed);
  const withSlow = w.targetSlow !== undefined;
  const pre: Counts = { requests: 0, failures: 0, slow: 0 };
  draw(rand, w.rps, w.preReleaseSeconds, w.previousFailure, w.previousSlow, pre);
  const target: Counts = { requests: 0, failures: 0, slow: 0 };
  const baseline: Counts = { requests: 0, failures: 0, slow: 0 };
  let healthyAt: RunResult | undefined;
  for (let t = w.lookSeconds; t <= w.horizonSeconds; t += w.lookSeconds) {
    draw(rand, w.rps * w.share, w.lookSeconds, w.targetFailure, w.targetSlow, target);
    draw(rand, w.rps * (1 - w.share), w.lookSeconds, w.previousFailure, w.previousSlow, baseline);
    const input: DecisionInput = {
      target: figures(target, withSlow),
      baseline: figures(baseline, withSlow),
      ...(w.preReleaseSeconds > 0 ? { preRelease: figures(pre, withSlow) } : {}),
      ...(withSlow ? { latencyThresholdMs: 250 } : {}),
    };
    const d = decide(input, settings);
    if (d.outcome === "harm") return { outcome: "harm", seconds: t, targetFailures: target.failures };
    if (d.outcome === "healthy" && healthyAt === undefined) {
      healthyAt = { outcome: "healthy", seconds: t, targetFailures: target.failures };
      if (w.stopWhenHealthy) return healthyAt;
    }
  }
  return healthyAt ?? { outcome: "inconclusive", seconds: w.horizonSeconds, targetFailures: target.failures };
}

export interface Summary {
  readonly runs: number;
  readonly harm: number;
  readonly healthy: number;
  readonly inconclusive: number;
  readonly meanSeconds: number;
  readonly meanTargetFailures: number;
  readonly maxSeconds: number;
}

export function runMany(w: World, settings: DecisionSettings, runs: number, firstSeed: number): Summary {
  const results = Array.from({ length: runs }, (_, i) => runOnce(w, settings, firstSeed + i));
  const count = (o: Decision["outcome"]) => results.filter((r) => r.outcome === o).length;
  return {
    runs,
    harm: count("harm"),
    healthy: count("healthy"),
    inconclusive: count("inconclusive"),
    meanSeconds: results.reduce((s, r) => s + r.seconds, 0) / runs,
    meanTargetFailures: results.reduce((s, r) => s + r.targetFailures, 0) / runs,
    maxSeconds: Math.max(...results.map((r) => r.seconds)),
  };
}
