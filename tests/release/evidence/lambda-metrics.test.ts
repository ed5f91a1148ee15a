import assert from "node:assert/strict";
import { HealthMonitor } from "../../../release/evidence/lambda-metrics";
import { healthSchema } from "../../../release/inputs/settings";
import { FN, harness, T0, type Harness } from "../harness";

const settings = healthSchema.parse({ maxErrorRatePercent: 1, minInvocations: 20, maxThrottles: 0 });

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
