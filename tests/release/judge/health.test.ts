import assert from "node:assert/strict";
import { judgeHealth, type HealthSample } from "../../../release/judge/health";
import { throttlesAtUsualRate, wholeMinutes } from "../../../release/judge/throttle-baseline";
import { healthSchema } from "../../../release/inputs/settings";

const settings = healthSchema.parse({ maxErrorRatePercent: 1, minInvocations: 20, maxThrottles: 0 });
const sample = (over: Partial<HealthSample>): HealthSample => ({
  alarms: {},
  target: { invocations: 100, errors: 0 },
  previous: { invocations: 1000, errors: 0 },
  throttles: 0,
  ...over,
});

describe("health verdict", () => {
  const cases: Array<[string, Partial<HealthSample>, Set<string>, boolean, RegExp]> = [
    ["a clean sample is healthy", {}, new Set(), true, /within 1%/],
    ["a new alarm in ALARM is unhealthy", { alarms: { errors: "ALARM", p99: "OK" } }, new Set(), false, /alarm errors is in ALARM/],
    ["an alarm already firing before the release is not blamed on the target", { alarms: { errors: "ALARM" } }, new Set(["errors"]), true, /already in ALARM/],
    ["a target error rate over the threshold is unhealthy", { target: { invocations: 100, errors: 2 } }, new Set(), false, /2% \(2\/100\) is above 1%/],
    ["errors the old version already has do not block a fix", { target: { invocations: 100, errors: 20 }, previous: { invocations: 1000, errors: 300 } }, new Set(), true, /within 31%/],
    ["a target worse than the old version by more than the threshold is unhealthy", { target: { invocations: 100, errors: 40 }, previous: { invocations: 1000, errors: 300 } }, new Set(), false, /above 31%/],
    ["too few target invocations are not judged", { target: { invocations: 19, errors: 19 } }, new Set(), true, /19 of 20 invocations needed/],
    ["a previous version with too few invocations falls back to the plain threshold", { target: { invocations: 50, errors: 1 }, previous: { invocations: 5, errors: 5 } }, new Set(), false, /above 1% \(threshold 1%\)/],
    ["throttles over the tolerance are unhealthy", { throttles: 1 }, new Set(), false, /1 throttled invocations/],
    ["metrics CloudWatch could not compute are not judged, even if they read as clean", { metricsUnavailable: "targetErrors: InternalError" }, new Set(), true, /metrics not judged: CloudWatch could not compute them/],
    ["a new alarm still counts when the metrics are unavailable", { alarms: { errors: "ALARM" }, metricsUnavailable: "x: Forbidden" }, new Set(), false, /alarm errors is in ALARM/],
  ];
  for (const [name, over, preexisting, healthy, pattern] of cases) {
    it(name, () => {
      const v = judgeHealth(sample(over), settings, preexisting);
      assert.equal(v.healthy, healthy, [...v.reasons, ...v.notes].join("; "));
      assert.ok([...v.reasons, ...v.notes].some((m) => pattern.test(m)), [...v.reasons, ...v.notes].join("; "));
    });
  }
});

describe("throttles against the alias's pre-release rate", () => {
  // [case, baseline throttles in whole minutes, window throttles, window whole minutes, maxThrottles, healthy]
  const cases: Array<[string, { throttles: number; minutes: number } | undefined, number, number, number, boolean]> = [
    // The replay: 14 a minute before and during the release. CloudWatch summed 11 whole minutes (154),
    // while the old rule scaled the rate by the unrounded 10.25 minutes and tolerated exactly the mean (143).
    ["the replay's steady 14 a minute: 154 in 11 whole minutes after 140 in 10", { throttles: 140, minutes: 10 }, 154, 11, 0, true],
    ["the same rate running high by three standard deviations", { throttles: 140, minutes: 10 }, 191, 11, 0, true],
    ["the rate doubling", { throttles: 140, minutes: 10 }, 308, 11, 0, false],
    ["a steady 1 a minute over a long linear release", { throttles: 10, minutes: 10 }, 70, 55, 0, true],
    ["no throttles before: every throttle is new", { throttles: 0, minutes: 10 }, 1, 11, 0, false],
    ["no throttles before, within maxThrottles", { throttles: 0, minutes: 10 }, 3, 11, 3, true],
    ["no baseline (CloudWatch could not compute it): maxThrottles alone", undefined, 1, 11, 0, false],
  ];
  for (const [name, baseline, throttles, minutes, maxThrottles, healthy] of cases) {
    it(`${healthy ? "tolerates" : "rolls back on"} ${name}`, () => {
      const v = judgeHealth(sample({ throttles, throttleMinutes: minutes, throttleBaseline: baseline }), { ...settings, maxThrottles }, new Set());
      assert.equal(v.healthy, healthy, [...v.reasons, ...v.notes].join("; "));
      if (!healthy) assert.match(v.reasons.join("; "), new RegExp(`^${throttles} throttled invocations on the alias \\(at most \\d+ tolerated`));
    });
  }

  /** P(W >= w) for W ~ Binomial(n, p), summed term by term in log space: independent of the code's library. */
  const upperTail = (w: number, n: number, p: number): number => {
    let logC = 0;
    let total = 0;
    for (let k = 0; k <= n; k++) {
      if (k > 0) logC += Math.log((n - k + 1) / k);
      if (k >= w) total += Math.exp(logC + k * Math.log(p) + (n - k) * Math.log(1 - p));
    }
    return total;
  };
  const bounds: Array<[number, number, number]> = [
    [140, 10, 11],
    [140, 10, 1],
    [10, 10, 55],
    [1, 10, 2],
    [500, 10, 30],
  ];
  for (const [b, tb, tw] of bounds) {
    it(`tolerates exactly what a steady rate shows at least once in 1000 checks: ${b} in ${tb} minutes, then ${tw} minutes`, () => {
      const limit = throttlesAtUsualRate({ throttles: b, minutes: tb }, tw);
      const p = tw / (tb + tw);
      assert.ok(upperTail(limit, b + limit, p) >= 0.001, `${limit} is consistent with the rate`);
      assert.ok(upperTail(limit + 1, b + limit + 1, p) < 0.001, `${limit + 1} is not`);
      assert.ok(limit > (b * tw) / tb, "more than the mean");
    });
  }

  /** Seeded PRNG (mulberry32) and Poisson draws (Knuth), so the simulation is the same on every run. */
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const poisson = (rand: () => number, mean: number) => {
    let k = 0;
    // A sum of Poisson draws is Poisson; pieces of at most 100 keep exp(-mean) from underflowing.
    for (let left = mean; left > 0; left -= 100) {
      const limit = Math.exp(-Math.min(100, left));
      for (let prod = rand(); prod > limit; prod *= rand()) k++;
    }
    return k;
  };
  const rollbackShare = (ratePerMinute: number, windowRatePerMinute: number, windowMinutes: number) => {
    const rand = random(7);
    let rolledBack = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      const baseline = { throttles: poisson(rand, ratePerMinute * 10), minutes: 10 };
      const v = judgeHealth(sample({ throttles: poisson(rand, windowRatePerMinute * windowMinutes), throttleMinutes: windowMinutes, throttleBaseline: baseline }), settings, new Set());
      if (!v.healthy) rolledBack++;
    }
    return rolledBack / trials;
  };

  it("rolls back at most about 1 in 1000 checks of an alias whose throttle rate did not change", () => {
    for (const [rate, minutes] of [[14, 11], [14, 55], [2, 11]]) {
      const share = rollbackShare(rate, rate, minutes);
      assert.ok(share <= 0.003, `${rate}/min over ${minutes} min: ${share * 100}% of healthy checks rolled back`);
    }
  });

  it("still catches a throttle rate that doubled", () => {
    assert.ok(rollbackShare(14, 28, 11) >= 0.99);
  });
});

describe("whole minutes of a CloudWatch sum", () => {
  // GetMetricData: StartTime rounded down to the minute, every 1-minute datapoint stamped before EndTime.
  const at = (hms: string) => new Date(`2026-03-01T${hms}Z`);
  const cases: Array<[string, string, number]> = [
    ["12:00:00", "12:10:00", 10],
    ["12:00:30", "12:10:00", 10],
    ["12:00:30", "12:10:30", 11],
    ["12:00:45", "12:11:00", 11],
    ["11:59:00", "12:09:15", 11],
    ["12:00:00", "12:00:00", 0],
  ];
  for (const [start, end, minutes] of cases) it(`[${start}, ${end}) covers ${minutes} whole minutes`, () => assert.equal(wholeMinutes(at(start), at(end)), minutes));
});
