import assert from "node:assert/strict";
import {
  decide,
  decisionRecord,
  decisionSchema,
  DecisionInputError,
  defaultDecisionSettings,
  formatDecision,
  requestsToShowHealth,
  type DecisionInput,
  type Outcome,
  type VersionFigures,
} from "../../../../release/judge/decision";

const s = defaultDecisionSettings();
/** EMF figures: requests and server errors (Lambda's Errors equal to them unless given). */
const v = (requests: number, serverErrors: number, more: Partial<VersionFigures> = {}): VersionFigures => ({ requests, serverErrors, ...more });
/** An hour of the previous version at 10 rps before the release. */
const hourAt10 = (failures: number) => v(36_000, failures);

describe("decision rule: workload shapes at decision points", () => {
  const cases: Array<[string, DecisionInput, Outcome, RegExp]> = [
    // W1: 10 rps, 10% canary (1 rps on the target), target fails 5%; the first failure comes ~20 s in.
    // For x = n = 1 the ratio is (1 + π₀) / (2π₀), π₀ = 1.5·20 / (1.5·20 + b): 104 (log 4.64) for b = 6180, 54 (log 3.99) for b = 3180.
    ["W1: the first target failure against an hour of clean previous traffic is harm", { target: v(20, 1), baseline: v(180, 0), preRelease: hourAt10(0) }, "harm", /server-errors harm: target 1\/20 vs previous 0\/36180/],
    ["W1: with 10 minutes of clean previous traffic, the first failure is just enough", { target: v(20, 1), baseline: v(180, 0), preRelease: v(6000, 0) }, "harm", /harm log LR 4\.64 \(needs 4\.61; π₀ 0\.00483\)/],
    ["W1: with 5 minutes of clean previous traffic, the first failure is not yet enough", { target: v(20, 1), baseline: v(180, 0), preRelease: v(3000, 0) }, "inconclusive", /harm log LR 3\.99 \(needs 4\.61/],
    ["W1: with 5 minutes of clean previous traffic, the second failure is harm", { target: v(40, 2), baseline: v(360, 0), preRelease: v(3000, 0) }, "harm", /target 2\/40 vs previous 0\/3360/],
    // W9: both versions fail 0.5%.
    ["W9: one early target failure is not harm when the previous version fails as often", { target: v(20, 1), baseline: v(180, 1), preRelease: hourAt10(180) }, "inconclusive", /server-errors inconclusive/],
    ["W9: two failures in the first 40 target requests are still not harm", { target: v(40, 2), baseline: v(360, 2), preRelease: hourAt10(180) }, "inconclusive", /server-errors inconclusive/],
    ["W9: a target failing 0.5% like the previous version is healthy after enough requests", { target: v(200, 1), baseline: v(1800, 9), preRelease: hourAt10(180) }, "healthy", /rate < 5\.75%/],
    // W6: the previous version fails 2%, the target is the fix.
    ["W6: a clean fix of a version failing 2% is healthy", { target: v(100, 0), baseline: v(900, 18), preRelease: hourAt10(720) }, "healthy", /server-errors healthy: target 0\/100 vs previous 738\/36900/],
    // W4: 0.5 rps good: after 300 s at 10%, 15 target requests.
    ["W4: 15 clean requests are not yet evidence of health", { target: v(15, 0), baseline: v(135, 0), preRelease: v(1800, 0) }, "inconclusive", /not enough evidence yet/],
    // W5: 0.5 rps, target fails 20%.
    ["W5: two failures in the first 10 target requests against clean previous traffic are harm", { target: v(10, 2), baseline: v(90, 0), preRelease: v(1800, 0) }, "harm", /target 2\/10/],
    // W7: handled 500s: Lambda sees no error, the EMF server errors do.
    ["W7: handled 500s are harm even though Lambda's Errors stay at 0", { target: v(40, 2, { unhandledErrors: 0 }), baseline: v(360, 0, { unhandledErrors: 0 }), preRelease: v(36_000, 0, { unhandledErrors: 0 }) }, "harm", /server-errors harm/],
    // W8: p99 3× the previous version's: a third of target requests are above the previous p99.
    [
      "W8: many more target requests above the previous version's p99 is harm",
      { target: v(30, 0, { latency: { slowRequests: 9 } }), baseline: v(270, 0, { latency: { slowRequests: 3 } }), preRelease: v(36_000, 0, { latency: { slowRequests: 360 } }), latencyThresholdMs: 180 },
      "harm",
      /latency harm: target 9\/30 vs previous 363\/36270/,
    ],
    [
      "latency as usual (1% above the previous p99) is healthy",
      { target: v(300, 0, { latency: { slowRequests: 3 } }), baseline: v(2700, 0, { latency: { slowRequests: 27 } }), preRelease: v(36_000, 0, { latency: { slowRequests: 360 } }), latencyThresholdMs: 180 },
      "healthy",
      /latency healthy/,
    ],
  ];
  for (const [name, input, outcome, pattern] of cases) {
    it(name, () => {
      const d = decide(input, s);
      const text = `${formatDecision(d)}\n${d.reason}`;
      assert.equal(d.outcome, outcome, text);
      assert.match(text, pattern);
    });
  }
});

describe("decision rule: fallbacks and edges", () => {
  it("with no previous-version traffic, judges against the fixed rate and says so", () => {
    // Uniform mixture over (1%, 1]: log LR for 5 of 50 is 4.99 ≥ log(1/0.01) (checked with SciPy's betainc); 3 of 50 gives 0.48.
    const d = decide({ target: v(50, 5) }, s);
    assert.equal(d.outcome, "harm", formatDecision(d));
    assert.equal(d.checks[0].method, "vs-fixed-rate");
    assert.match(d.notes.join("\n"), /previous version has no figures .* judged against the fixed rate 1% instead/);
  });

  it("a previous version below minBaselineRequests is not a baseline", () => {
    const d = decide({ target: v(200, 0), baseline: v(99, 0) }, s);
    assert.equal(d.checks[0].method, "vs-fixed-rate");
    assert.equal(d.checks[0].baseline, undefined);
    assert.equal(d.outcome, "healthy", formatDecision(d));
  });

  it("zero traffic on the target is inconclusive and noted", () => {
    const d = decide({ target: v(0, 0), baseline: v(0, 0), preRelease: hourAt10(0) }, s);
    assert.equal(d.outcome, "inconclusive");
    assert.match(d.notes.join("\n"), /served no requests/);
    assert.equal(d.checks[0].harmLogRatio, 0);
  });

  it("an old version without EMF metrics is compared on Lambda Errors; its server errors fall back to the fixed rate", () => {
    const d = decide({ target: v(300, 0, { unhandledErrors: 0 }), preRelease: { requests: 36_000, unhandledErrors: 40 } }, s);
    const byName = Object.fromEntries(d.checks.map((c) => [c.signal, c]));
    assert.equal(byName["server-errors"].method, "vs-fixed-rate");
    assert.equal(byName["unhandled-errors"].method, "vs-previous");
    assert.equal(byName["unhandled-errors"].requiredForHealth, false);
    assert.equal(d.outcome, "healthy", formatDecision(d));
  });

  it("a target without EMF counts is judged on Lambda Errors alone, and the note says handled 5xx are unseen", () => {
    const d = decide({ target: { requests: 200, unhandledErrors: 0 }, preRelease: { requests: 36_000, unhandledErrors: 0 } }, s);
    assert.deepEqual(d.checks.map((c) => [c.signal, c.requiredForHealth]), [["unhandled-errors", true]]);
    assert.match(d.notes.join("\n"), /handled 5xx answers are not seen/);
  });

  it("unhandled errors can veto a release that its server-error counts do not", () => {
    // A crash before the handler's metrics flush (e.g. out of memory) shows only in Lambda's Errors.
    const d = decide({ target: v(200, 0, { unhandledErrors: 6 }), preRelease: v(36_000, 0, { unhandledErrors: 0 }) }, s);
    assert.equal(d.outcome, "harm", formatDecision(d));
    assert.match(d.reason, /unhandled-errors harm/);
  });

  it("percentiles alone are compared only with enough requests, and only as a ratio", () => {
    const latency = (p99Ms: number, timedRequests: number) => ({ latency: { p99Ms, timedRequests } });
    const few = decide({ target: v(100, 0, latency(900, 100)), preRelease: v(36_000, 0, latency(300, 36_000)) }, s);
    assert.match(few.notes.join("\n"), /p99 900 ms vs previous 300 ms not compared yet/);
    const many = decide({ target: v(600, 0, latency(900, 600)), preRelease: v(36_000, 0, latency(300, 36_000)) }, s);
    assert.equal(many.outcome, "harm");
    assert.match(many.reason, /latency harm: target p99 900 ms vs previous 300 ms \(limit 600 ms/);
  });

  it("splits alpha between the signals judged", () => {
    const one = decide({ target: v(20, 0) }, s);
    const three = decide({ target: v(20, 0, { unhandledErrors: 0, latency: { slowRequests: 0 } }), latencyThresholdMs: 200 }, s);
    assert.equal(one.checks[0].harmLogThreshold, Math.log(1 / s.alpha));
    assert.equal(three.checks[0].harmLogThreshold, Math.log(3 / s.alpha));
  });

  it("stays finite and fast with a billion requests", () => {
    const start = Date.now();
    const good = decide({ target: v(1e8, 50_000), baseline: v(9e8, 450_000), preRelease: v(1e9, 500_000) }, s);
    const bad = decide({ target: v(1e8, 100_000), baseline: v(9e8, 450_000), preRelease: v(1e9, 500_000) }, s);
    assert.equal(good.outcome, "healthy", formatDecision(good));
    assert.equal(bad.outcome, "harm", formatDecision(bad));
    for (const c of [...good.checks, ...bad.checks]) assert.ok(!Number.isNaN(c.harmLogRatio) && !Number.isNaN(c.healthLogRatio), c.summary);
    assert.ok(Date.now() - start < 500);
  });
});

describe("decision rule: time", () => {
  const healthy: DecisionInput = { target: v(300, 0), preRelease: hourAt10(0) };
  const waiting: DecisionInput = { target: v(15, 0), preRelease: v(1800, 0) };
  const cases: Array<[string, DecisionInput, number, boolean, string]> = [
    ["health before the minimum bake holds", healthy, 59, false, "hold"],
    ["health after the minimum bake advances", healthy, 60, false, "advance"],
    ["no evidence before the deadline holds", waiting, 899, false, "hold"],
    ["no evidence at the deadline rolls back", waiting, 900, false, "roll-back-at-deadline"],
    ["no evidence at the deadline promotes when the stack allows it", waiting, 900, true, "promote-without-evidence"],
  ];
  for (const [name, input, elapsedSeconds, promoteWithoutEvidence, action] of cases) {
    it(name, () => {
      const d = decide({ ...input, time: { elapsedSeconds, minBakeSeconds: 60, deadlineSeconds: 900 } }, decisionSchema.parse({ promoteWithoutEvidence }));
      assert.equal(d.action, action);
    });
  }
  it("harm rolls back at once, before the minimum bake", () => {
    const d = decide({ target: v(20, 5), preRelease: hourAt10(0), time: { elapsedSeconds: 5, minBakeSeconds: 60, deadlineSeconds: 900 } }, s);
    assert.equal(d.action, "roll-back");
  });
});

describe("decision input validation", () => {
  it("names every bad field, its value and the rule at once", () => {
    const bad = {
      target: { requests: 10.5, serverErrors: -1, unhandledErrors: 3, invocations: 2, latency: { slowRequests: 4, p99Ms: Number.NaN } },
      baseline: { requests: Number.POSITIVE_INFINITY, serverErrors: 1 },
      preRelease: { requests: 5, serverErrors: 6 },
      time: { elapsedSeconds: -1, minBakeSeconds: 100, deadlineSeconds: 50 },
    } as unknown as DecisionInput;
    try {
      decide(bad, s);
      assert.fail("expected DecisionInputError");
    } catch (e) {
      assert.ok(e instanceof DecisionInputError);
      const text = e.problems.join("\n");
      for (const pattern of [
        /target\.requests = 10\.5: counts are whole numbers/,
        /target\.serverErrors = -1: counts cannot be negative/,
        /target\.unhandledErrors = 3 exceeds target\.invocations = 2/,
        /target\.latency\.p99Ms = NaN: latencies are finite/,
        /baseline\.requests = Infinity: counts are finite numbers/,
        /preRelease\.serverErrors = 6 exceeds preRelease\.requests = 5/,
        /latencyThresholdMs = undefined: slowRequests are counted against a threshold/,
        /time\.elapsedSeconds = -1/,
        /time\.deadlineSeconds = 50 is before time\.minBakeSeconds = 100/,
      ]) {
        assert.match(text, pattern);
      }
    }
  });

  it("needs at least one failure count for the target", () => {
    assert.throws(() => decide({ target: { requests: 10 } }, s), /target has neither serverErrors nor unhandledErrors/);
  });
});

describe("decision report", () => {
  it("prints the outcome, the action, every check's counts and statistics, and the notes", () => {
    const text = formatDecision(decide({ target: v(20, 1), baseline: v(180, 0), preRelease: hourAt10(0), time: { elapsedSeconds: 20, minBakeSeconds: 60, deadlineSeconds: 900 } }, s));
    assert.match(text, /^decision: harm \(roll back now\)\n {2}server-errors harm: target 1\/20 vs previous 0\/36180; harm log LR \d+\.\d\d \(needs 4\.61; π₀ 0\.000829\); health log LR -?\d+\.\d\d \(needs 4\.61; rate < 5%\)/);
    assert.match(text, /note: latency: no latency figures/);
  });

  it("writes infinite statistics as strings so the JSON report keeps them", () => {
    const record = decisionRecord(decide({ target: v(10, 2), baseline: v(200, 0) }, decisionSchema.parse({ relativeTolerance: 0 })));
    const round = JSON.parse(JSON.stringify(record));
    assert.equal(typeof round.checks[0].harmNull, "number");
    const infinite = decisionRecord(decide({ target: v(10, 10) }, decisionSchema.parse({ fallbackErrorRatePercent: 0 })));
    assert.equal(JSON.parse(JSON.stringify(infinite)).checks[0].harmLogRatio, "Infinity");
  });
});

describe("decision settings", () => {
  it("defaults every setting", () => {
    assert.deepEqual(decisionSchema.parse({}), {
      alpha: 0.01,
      beta: 0.01,
      relativeTolerance: 0.5,
      healthMarginPercent: 5,
      fallbackErrorRatePercent: 1,
      minBaselineRequests: 100,
      minTargetRequests: 30,
      latencyQuantile: 99,
      latencyTolerance: 1,
      percentileTolerance: 1,
      minPercentileRequests: 500,
      promoteWithoutEvidence: false,
    });
  });
  const bad: Array<[object, RegExp]> = [
    [{ alpha: 0 }, /alpha must be above 0/],
    [{ beta: 0.7 }, /beta must be below 0.5/],
    [{ relativeTolerance: -1 }, /relativeTolerance cannot be negative/],
    [{ minTargetRequests: 2.5 }, /minTargetRequests must be a whole number/],
    [{ latencyQuantile: 100 }, /latencyQuantile must be at most 99.99/],
    [{ tolerance: 1 }, /tolerance/],
  ];
  for (const [input, pattern] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const r = decisionSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.match(JSON.stringify(r.error?.issues), pattern);
    });
  }
  // Smallest n with (1 − (1 − p)^(n+1)) / ((n + 1) p (1 − p)^n) ≥ 1/beta, counted independently: 126 at p = 5%, 105 at 6%, 78 at 8%.
  it("states how many clean requests health needs at the defaults", () => {
    assert.equal(requestsToShowHealth(s, 0), 126);
    assert.equal(requestsToShowHealth(s), 105);
    assert.equal(requestsToShowHealth(s, 0.02), 78);
  });
});
