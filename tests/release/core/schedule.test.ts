import assert from "node:assert/strict";
import { fromAwsWeight, planSchedule, scheduleSeconds, toAwsWeight } from "../../../release/core/schedule";
import { releaseSettingsSchema, type ReleaseSettingsInput } from "../../../release/inputs/settings";
import { parseOrThrow } from "../../../lib/validation";
import { problemsOf } from "../../helpers/problems";

const settings = (input: ReleaseSettingsInput) => parseOrThrow(releaseSettingsSchema, input, "release");
const percents = (input: ReleaseSettingsInput) => planSchedule(settings(input)).map((s) => s.percent);

describe("release schedule", () => {
  const cases: Array<[string, ReleaseSettingsInput, number[]]> = [
    ["all-at-once goes straight to 100", { strategy: "all-at-once" }, [100]],
    ["canary holds the canary share, then 100", { strategy: "canary", canaryPercent: 10 }, [10, 100]],
    ["linear adds the step until 100", { strategy: "linear", linearStepPercent: 25 }, [25, 50, 75, 100]],
    ["linear with a step that does not divide 100 still ends at 100", { strategy: "linear", linearStepPercent: 30 }, [30, 60, 90, 100]],
    ["linear 10% gives nine partial steps", { strategy: "linear" }, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
    ["custom steps are kept and 100 is appended", { strategy: "custom", steps: [{ percent: 1, bakeSeconds: 60 }, { percent: 33, bakeSeconds: 120 }] }, [1, 33, 100]],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(percents(input), expected));
  }

  it("applies the step bake to partial steps and the final bake to 100", () => {
    const steps = planSchedule(settings({ strategy: "canary", stepBakeSeconds: 300, finalBakeSeconds: 45 }));
    assert.deepEqual(steps, [{ percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 45 }]);
    assert.equal(scheduleSeconds(steps), 345);
  });

  it("defaults to all-at-once with smoke checks on", () => {
    const s = settings({});
    assert.equal(s.strategy, "all-at-once");
    assert.equal(s.smoke, true);
    assert.equal(s.health.minInvocations, 20);
  });
});

describe("AWS weights", () => {
  it("writes every whole percentage as the decimal AWS expects and reads it back exactly", () => {
    for (let p = 1; p <= 99; p++) {
      const w = toAwsWeight(p);
      assert.equal(w.toString(), (p / 100).toString());
      assert.equal(fromAwsWeight(w), p);
    }
  });

  for (const bad of [0, 100, 12.5, -1, Number.NaN]) {
    it(`rejects ${bad} as a routing weight`, () => assert.throws(() => toAwsWeight(bad), RangeError));
  }

  for (const bad of [-0.1, 1.5, Number.POSITIVE_INFINITY]) {
    it(`rejects ${bad} read back from AWS`, () => assert.throws(() => fromAwsWeight(bad), /between 0.0 and 1.0/));
  }
});

describe("release settings validation", () => {
  const problems = (input: unknown): string[] => {
    return problemsOf(() => parseOrThrow(releaseSettingsSchema, input, "release", "release"));
  };

  const cases: Array<[string, unknown, RegExp]> = [
    ["an unknown strategy", { strategy: "blue-green" }, /^release\.strategy = "blue-green": strategy must be one of all-at-once, canary/],
    ["a fractional canary", { strategy: "canary", canaryPercent: 12.5 }, /^release\.canaryPercent = 12\.5: .*whole percentage/],
    ["a 100% canary", { strategy: "canary", canaryPercent: 100 }, /^release\.canaryPercent = 100: .*at most 99/],
    ["decreasing custom steps", { strategy: "custom", steps: [{ percent: 50, bakeSeconds: 1 }, { percent: 20, bakeSeconds: 1 }] }, /^release\.steps\[1\]\.percent = 20: .*increasing order/],
    ["custom without steps", { strategy: "custom" }, /^release\.steps = \(missing\): strategy custom needs at least one/],
    ["steps with another strategy", { strategy: "canary", steps: [{ percent: 5, bakeSeconds: 1 }] }, /^release\.steps = .*apply only to strategy custom/],
    ["a negative bake", { stepBakeSeconds: -5 }, /^release\.stepBakeSeconds = -5: stepBakeSeconds cannot be negative/],
    ["an unknown key", { strategy: "canary", canaryPercnt: 5 }, /^release\.canaryPercnt = 5: unknown setting/],
    ["an unknown health key", { health: { maxErrors: 1 } }, /^release\.health\.maxErrors = 1: unknown setting/],
    ["a too-short check interval", { health: { checkIntervalSeconds: 1 } }, /^release\.health\.checkIntervalSeconds = 1: .*at least 5/],
  ];
  for (const [name, input, pattern] of cases) {
    it(`names the field, value and rule for ${name}`, () => {
      const found = problems(input);
      assert.ok(found.some((m) => pattern.test(m)), `no problem matched ${pattern}; got:\n${found.join("\n")}`);
    });
  }

  it("reports every problem at once", () => {
    assert.equal(problems({ strategy: "nope", canaryPercent: 0, finalBakeSeconds: "x" }).length, 3);
  });
});
