/**
 * The alias's pre-release throttle rate, and how many throttles a window may show at that rate.
 * Throttles happen before any version runs, so they cannot be split by version: the release can
 * only ask whether the alias throttles more than it did before traffic moved.
 */
import binomialCdf from "@stdlib/stats-base-dists-binomial-cdf";

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
  const tolerated = (w: number) => w === 0 || 1 - binomialCdf(w - 1, baseline.throttles + w, share) >= alpha;
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
