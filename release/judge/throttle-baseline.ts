/**
 * The alias's pre-release throttle rate, and how many throttles a window may show at that rate.
 * Throttles happen before any version runs, so they cannot be split by version: the release can
 * only ask whether the alias throttles more than it did before traffic moved.
 */
import { logIncBeta } from "./decision/math";

const MINUTE = 60_000;

/**
 * GetMetricData rounds a StartTime less than 15 days old down to the whole minute and returns the
 * datapoints whose timestamp (the start of their period) is before EndTime, which is exclusive
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
 */
export const floorToMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;

/**
 * How many 1-minute periods a Sum over [start, end) really covers: from the minute `start` falls
 * in up to and including the minute holding `end` (each whole, however little of it has passed).
 * A rate scaled by `end - start` instead undercounts the window by up to two minutes.
 */
export function wholeMinutes(start: Date, end: Date): number {
  return Math.max(0, Math.ceil((end.getTime() - floorToMinute(start.getTime())) / MINUTE));
}

/** Checks the (k, n, p) of a binomial probability; k may be any number, since P(X ≤ k) is defined for real k. */
function checkBinomial(name: string, k: number, n: number, p: number): void {
  if (Number.isNaN(k)) throw new RangeError(`${name}: k = NaN: k must be a number.`);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name}: n = ${n}: the number of trials must be a whole number ≥ 0.`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name}: p = ${p}: the success probability must be between 0 and 1.`);
}

/**
 * P(X ≤ k) for X ~ Binomial(n, p), through the regularized incomplete beta function:
 * P(X ≤ k) = I_{1−p}(n − k, k + 1) for integer 0 ≤ k < n. This is DLMF 8.17.5,
 * Σ_{j=a}^{n} C(n, j) x^j (1 − x)^{n−j} = I_x(a, n − a + 1), read for the failures, of which
 * there are at least n − k exactly when X ≤ k (https://dlmf.nist.gov/8.17.E5). A real k counts
 * as ⌊k⌋; k < 0 gives 0 and k ≥ n gives 1, whatever p is.
 */
export function binomialCdf(k: number, n: number, p: number): number {
  checkBinomial("binomialCdf", k, n, p);
  if (k < 0) return 0;
  if (k >= n) return 1;
  const j = Math.floor(k);
  // logIncBeta gives exactly -Infinity at x = 0 (p = 1: X = n > k) and 0 at x = 1 (p = 0: X = 0 ≤ k).
  return Math.exp(logIncBeta(1 - p, n - j, j + 1));
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): I_p(k, n − k + 1) for integer 1 ≤ k ≤ n (DLMF 8.17.5 as it
 * stands). Computed directly rather than as 1 − P(X ≤ k − 1), so a small tail keeps its digits.
 * A real k counts as ⌈k⌉; k ≤ 0 gives 1 and k > n gives 0.
 */
export function binomialAtLeast(k: number, n: number, p: number): number {
  checkBinomial("binomialAtLeast", k, n, p);
  if (k <= 0) return 1;
  if (k > n) return 0;
  const j = Math.ceil(k);
  return Math.exp(logIncBeta(p, j, n - j + 1));
}

/** A window's throttles are blamed on the release only when a steady rate would show that many less than once in 1000 checks. */
export const THROTTLE_CONFIDENCE = 0.999;

export interface ThrottleBaseline {
  /** Throttles on the alias in the whole minutes before the release. */
  readonly throttles: number;
  readonly minutes: number;
}

/**
 * The most throttles `windowMinutes` whole minutes can show while the alias keeps the rate it had
 * in the baseline, allowing for the noise of both counts.
 *
 * Throttles at a steady rate are Poisson counts, and the baseline rate is itself only an estimate
 * from a count. The exact way to compare two Poisson counts over different spans is the
 * conditional test: given the total n = baseline + window, the window's share is
 * Binomial(n, windowMinutes / (baselineMinutes + windowMinutes)) if the rate did not change. The
 * window count w is tolerated while P(W >= w) stays at or above 1 - THROTTLE_CONFIDENCE. Using the
 * mean (rate × minutes) as the limit instead fails about half of the checks of an alias that
 * throttles steadily, and a Poisson bound around the estimated mean still ignores that a
 * 10-minute baseline may have run low by chance (which matters most for long windows).
 *
 * With no throttles before the release there is no rate to allow for: every throttle is new and
 * only maxThrottles applies (0).
 */
export function throttlesAtUsualRate(baseline: ThrottleBaseline | undefined, windowMinutes: number): number {
  if (baseline === undefined || baseline.throttles <= 0 || baseline.minutes <= 0 || windowMinutes <= 0) return 0;
  const share = windowMinutes / (baseline.minutes + windowMinutes);
  const alpha = 1 - THROTTLE_CONFIDENCE;
  // P(W >= w) with n = baseline + w; it falls as w grows, so the largest tolerated w is found by bisection.
  const tolerated = (w: number) => w === 0 || binomialAtLeast(w, baseline.throttles + w, share) >= alpha;
  let lo = 0;
  let hi = Math.max(1, Math.ceil((baseline.throttles * windowMinutes) / baseline.minutes));
  while (tolerated(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (tolerated(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
