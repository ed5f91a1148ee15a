import assert from "node:assert/strict";
import { defaultDecisionSettings, requestsToShowHealth, type Decision } from "../../../release/judge/decision";
import { fitFirstStep, judgeStep } from "../../../release/judge/step";

const decision = (outcome: Decision["outcome"], action: Decision["action"]): Decision => ({ outcome, action, reason: `${outcome} because`, checks: [], notes: [] });
const quiet = { newAlarms: [], throttleReason: undefined, notes: [] };

describe("judging a step on evidence", () => {
  const table: [string, Decision, typeof quiet | { newAlarms: string[]; throttleReason?: string; notes: string[] }, string][] = [
    ["harm rolls back", decision("harm", "roll-back"), quiet, "roll-back"],
    ["harm rolls back even while an alarm fires", decision("harm", "roll-back"), { newAlarms: ["errors"], notes: [] }, "roll-back"],
    ["throttles beyond the usual rate roll back a healthy target", decision("healthy", "advance"), { newAlarms: [], throttleReason: "too many throttles", notes: [] }, "roll-back"],
    ["health after the minimum bake advances", decision("healthy", "advance"), quiet, "advance"],
    ["health before the minimum bake holds", decision("healthy", "hold"), quiet, "hold"],
    ["no evidence yet holds", decision("inconclusive", "hold"), quiet, "hold"],
    ["a new alarm with a healthy target does not block it", decision("healthy", "advance"), { newAlarms: ["errors"], notes: [] }, "advance"],
    ["a new alarm without evidence of health holds", decision("inconclusive", "hold"), { newAlarms: ["errors"], notes: [] }, "hold"],
    ["a new alarm blocks advancing before the minimum bake too", decision("inconclusive", "hold"), { newAlarms: ["p99"], notes: [] }, "hold"],
    ["the deadline without evidence rolls back", decision("inconclusive", "roll-back-at-deadline"), quiet, "roll-back-at-deadline"],
    ["promotion without evidence is allowed with no alarm", decision("inconclusive", "promote-without-evidence"), quiet, "promote-without-evidence"],
    ["promotion without evidence is refused while an alarm fires", decision("inconclusive", "promote-without-evidence"), { newAlarms: ["errors"], notes: [] }, "roll-back-at-deadline"],
  ];
  for (const [what, d, guard, action] of table) {
    it(what, () => {
      const j = judgeStep(d, guard);
      assert.equal(j.action, action);
      assert.equal(j.reasons.length > 0, action === "roll-back" || action === "roll-back-at-deadline", "a rollback always says why, nothing else does");
    });
  }
  it("names the alarm it does not blame on a healthy target", () => {
    assert.match(judgeStep(decision("healthy", "advance"), { newAlarms: ["live-errors"], notes: [] }).notes.join(" "), /live-errors.*not blamed/);
  });
});

describe("fitting the first step to the traffic", () => {
  const s = defaultDecisionSettings();
  const needed = requestsToShowHealth(s) ?? NaN;
  const plan = [
    { percent: 10, bakeSeconds: 130 },
    { percent: 50, bakeSeconds: 30 },
    { percent: 100, bakeSeconds: 30 },
  ];
  it(`keeps a first step that sees the ${needed} requests health needs in its bake`, () => {
    const rps = Math.ceil((needed * 100) / (10 * 130));
    assert.deepEqual(fitFirstStep(plan, rps, s), { steps: plan });
  });
  it("raises a first step that would see too few, and says by how much", () => {
    const fitted = fitFirstStep(plan, 4, s);
    const wanted = Math.ceil((100 * needed) / (4 * 130));
    assert.ok(wanted > 10 && wanted < 50, `test set-up: ${wanted}`);
    assert.deepEqual(fitted.steps, [{ percent: wanted, bakeSeconds: 130 }, plan[1], plan[2]]);
    assert.match(fitted.note ?? "", new RegExp(`first step raised to ${wanted}%`));
  });
  it("drops later partial steps the raised step passes", () => {
    const fitted = fitFirstStep(plan, 1.5, s);
    const wanted = Math.ceil((100 * needed) / (1.5 * 130));
    assert.ok(wanted > 50 && wanted < 100, `test set-up: ${wanted}`);
    assert.deepEqual(fitted.steps, [{ percent: wanted, bakeSeconds: 130 }, plan[2]]);
  });
  it("goes straight to the final step when even 100% of the traffic is too little, keeping the dropped step's bake", () => {
    const fitted = fitFirstStep(plan, 0.2, s);
    assert.deepEqual(fitted.steps, [{ percent: 100, bakeSeconds: 130 }]);
    assert.match(fitted.note ?? "", /straight to 100%/);
  });
  it("never drops the only judged step: a final step without a bake gets the first step's", () => {
    const fitted = fitFirstStep([{ percent: 10, bakeSeconds: 300 }, { percent: 100, bakeSeconds: 0 }], 0.2, s);
    assert.deepEqual(fitted.steps, [{ percent: 100, bakeSeconds: 300 }]);
  });
  it("changes nothing when the traffic is unknown", () => {
    assert.deepEqual(fitFirstStep(plan, undefined, s).steps, plan);
    assert.deepEqual(fitFirstStep(plan, 0, s).steps, plan);
  });
});
