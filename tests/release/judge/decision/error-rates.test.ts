/**
 * The decision rule's error rates, measured on seeded simulated releases (tests/release/judge/decision/simulate.ts)
 * with a look every 5 s, as the controller will look. Fixed seeds make each figure a constant,
 * so these are ordinary deterministic tests; the bounds are the configured α and β, which the
 * rule must meet however often it is asked.
 */
import assert from "node:assert/strict";
import { decisionSchema, defaultDecisionSettings, requestsToShowHealth, type DecisionSettings } from "../../../../release/judge/decision";
import { runMany, type Summary, type World } from "./simulate";

const defaults = defaultDecisionSettings();
/** 10 rps, 10% canary, an hour of previous-version traffic before the release, a look every 5 s for 5 minutes. */
const world = (over: Partial<World>): World => ({
  rps: 10,
  share: 0.1,
  targetFailure: 0,
  previousFailure: 0,
  preReleaseSeconds: 3600,
  lookSeconds: 5,
  horizonSeconds: 300,
  stopWhenHealthy: true,
  ...over,
});
const run = (w: World, settings: DecisionSettings = defaults, runs = 200): Summary => runMany(w, settings, runs, 20_260_001);
const show = (r: Summary) => JSON.stringify(r);

describe("decision rule error rates on simulated releases", () => {
  describe("good releases (false rollbacks, looking every 5 s to the end of the window)", () => {
    it("rolls back at most α of releases exactly at the tolerance (target 1.5× the previous rate), with no pre-release window", () => {
      const settings = decisionSchema.parse({ alpha: 0.05 });
      const r = run(world({ targetFailure: 0.03, previousFailure: 0.02, preReleaseSeconds: 0, stopWhenHealthy: false }), settings, 100);
      assert.ok(r.harm / r.runs <= settings.alpha, show(r));
    });

    it("rolls back at most α of them with a pre-release window and a 50% split", () => {
      const settings = decisionSchema.parse({ alpha: 0.05 });
      const r = run(world({ targetFailure: 0.03, previousFailure: 0.02, share: 0.5, stopWhenHealthy: false, horizonSeconds: 180 }), settings, 100);
      assert.ok(r.harm / r.runs <= settings.alpha, show(r));
    });

    it("W9: both versions failing 0.5% is rolled back in at most α of runs, and promoted in ≥ 99% within 600 s", () => {
      const looking = run(world({ targetFailure: 0.005, previousFailure: 0.005, stopWhenHealthy: false }), defaults, 100);
      assert.ok(looking.harm / looking.runs <= defaults.alpha, show(looking));
      const r = run(world({ targetFailure: 0.005, previousFailure: 0.005, horizonSeconds: 600 }));
      assert.ok(r.healthy / r.runs >= 0.99, show(r));
    });

    it("W6: the fix of a version failing 2% is promoted in every run, within two minutes on average", () => {
      const r = run(world({ previousFailure: 0.02 }));
      assert.equal(r.healthy, r.runs, show(r));
      assert.ok(r.meanSeconds < 120, show(r));
    });

    it("W3: a good release at 10 rps shows health within the 300 s CodeDeploy bakes a canary", () => {
      const r = run(world({}));
      assert.equal(r.healthy, r.runs, show(r));
      assert.ok(r.maxSeconds <= 300, show(r));
    });

    it("W4: at 0.5 rps health needs ~126 clean target requests: reached within 600–900 s on a 50% step", () => {
      assert.equal(requestsToShowHealth(defaults, 0), 126);
      const r = run(world({ rps: 0.5, share: 0.5, horizonSeconds: 900, lookSeconds: 10 }), defaults, 100);
      assert.ok(r.healthy / r.runs >= 0.99 && r.harm === 0, show(r));
      assert.ok(r.meanSeconds <= 600, show(r));
    });

    it("latency as usual (1% of both versions above the threshold) is not rolled back", () => {
      const r = run(world({ targetSlow: 0.01, previousSlow: 0.01, stopWhenHealthy: false }), defaults, 100);
      assert.ok(r.harm / r.runs <= defaults.alpha, show(r));
      assert.ok(r.healthy / r.runs >= 0.99, show(r));
    });
  });

  describe("bad releases (detection)", () => {
    it("W1: a target failing 5% against clean previous traffic is rolled back after about one failure", () => {
      const r = run(world({ targetFailure: 0.05 }));
      assert.equal(r.harm, r.runs, show(r));
      assert.ok(r.meanTargetFailures <= 1.3, show(r));
    });

    it("W2: failing 50% is rolled back at the first or second look", () => {
      const r = run(world({ targetFailure: 0.5 }));
      assert.equal(r.harm, r.runs, show(r));
      assert.ok(r.maxSeconds <= 10, show(r));
    });

    it("W5: 0.5 rps, failing 20%, is rolled back in every run, after fewer than 2 failures on average", () => {
      const r = run(world({ rps: 0.5, targetFailure: 0.2, horizonSeconds: 1800 }));
      assert.equal(r.harm, r.runs, show(r));
      assert.ok(r.meanTargetFailures < 2, show(r));
    });

    it("W8: a third of target requests above the previous p99 (p99 3×) is rolled back in every run", () => {
      const r = run(world({ targetSlow: 0.3, previousSlow: 0.01 }));
      assert.equal(r.harm, r.runs, show(r));
      assert.ok(r.meanSeconds <= 60, show(r));
    });

    it("calls a release at the health bound healthy in about β of runs at most (harm test switched off)", () => {
      // No previous-version traffic (share 1): the fallback rate 5% plus the 5-point margin gives a bound of 10%.
      // Each clean request moves the health ratio by only 1/(1 − 10%), so Ville's bound is nearly attained
      // here: the margin is two standard errors of the measured share (β = 5%, 150 runs: ±1.8 points).
      const settings = decisionSchema.parse({ alpha: 1e-12, beta: 0.05, fallbackErrorRatePercent: 5 });
      const r = run(world({ rps: 2, share: 1, targetFailure: 0.1, preReleaseSeconds: 0 }), settings, 150);
      const margin = 2 * Math.sqrt((settings.beta * (1 - settings.beta)) / r.runs);
      assert.ok(r.healthy / r.runs <= settings.beta + margin, show(r));
      // Twice the bound is practically never called healthy.
      const worse = run(world({ rps: 2, share: 1, targetFailure: 0.2, preReleaseSeconds: 0 }), settings, 50);
      assert.equal(worse.healthy, 0, show(worse));
    });
  });
});
