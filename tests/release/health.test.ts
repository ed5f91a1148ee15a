import assert from "node:assert/strict";
import { HealthMonitor, judgeHealth, type HealthSample } from "../../release/health";
import { healthSchema } from "../../release/settings";
import { FN, harness, T0, type Harness } from "./harness";

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
    ["throttles within the alias's pre-release rate are tolerated", { throttles: 4, usualThrottles: 4 }, new Set(), true, /target error rate 0%/],
    ["throttles above the pre-release rate are unhealthy", { throttles: 5, usualThrottles: 4 }, new Set(), false, /5 throttled invocations on the alias \(at most 4 tolerated: maxThrottles 0 \+ 4/],
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

describe("health metrics", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("reads each version's own Errors and Invocations through the alias, and the alias's throttles", async () => {
    // CloudWatch (the harness) only has data under FunctionName, Resource=<fn>:<alias> and ExecutedVersion.
    h.world.metrics = (v) => (v === "42" ? { invocations: 40, errors: 4 } : v === "41" ? { invocations: 400, errors: 2 } : { invocations: 0, errors: 0 });
    h.world.throttles = 3;
    const ports = h.io.createPorts("eu-west-1", h.clock, undefined);
    const monitor = new HealthMonitor(ports.cloudwatch, { functionName: FN, alias: "live", target: "42", previous: "41", alarmNames: [] }, settings);
    await h.clock.sleep(120_000);
    const { sample } = await monitor.check(new Date(T0), new Date(h.clock.now()));
    assert.deepEqual([sample.target, sample.previous, sample.throttles], [{ invocations: 40, errors: 4 }, { invocations: 400, errors: 2 }, 3]);
    assert.equal(sample.metricsUnavailable, undefined);
  });

  it("gets nothing for another alias's metrics, so a wrong alias is never judged healthy by accident", async () => {
    const ports = h.io.createPorts("eu-west-1", h.clock, undefined);
    const monitor = new HealthMonitor(ports.cloudwatch, { functionName: FN, alias: "beta", target: "42", previous: "41", alarmNames: [] }, settings);
    await h.clock.sleep(60_000);
    const { verdict } = await monitor.check(new Date(T0), new Date(h.clock.now()));
    assert.equal(verdict.targetErrorRate, undefined);
    assert.ok(verdict.notes.some((n) => /0 of 20 invocations needed/.test(n)), verdict.notes.join("; "));
  });
});
