/**
 * The release step judging on evidence, end to end: the real controller against the release
 * simulator's Lambda and CloudWatch (bench/release), which publish EMF metrics per version with
 * their delay as lambda-src/metrics.ts writes them. Each scenario asserts the outcome, the exit
 * code, when the alias was written, and that it ends wholly on one version.
 */
import assert from "node:assert/strict";
import { prodReleaseSettings, releaseWithShiftline, stackReleaseSettings } from "../../../bench/release/contenders";
import { HEALTHY } from "../../../bench/release/simulate";
import { World, type VersionBehaviour } from "../../../bench/release/world";
import { releaseSettingsSchema, type ReleaseSettings } from "../../../release/inputs/settings";

const START = Date.UTC(2027, 0, 1);
const HOUR = 3_600_000;

function world(target: VersionBehaviour, rps = 10, seed = 11, previous: VersionBehaviour = HEALTHY): World {
  const w = new World({ seed, rps, versions: { "1": previous, "2": target }, primary: "1", emfDelaySeconds: 10, standardDelaySeconds: 60, startMs: START });
  w.advanceTo(START + HOUR + 5 * 60_000 + 17_000);
  return w;
}

const settings = (change: (s: ReleaseSettings) => unknown = () => undefined): ReleaseSettings => {
  const s = structuredClone(prodReleaseSettings()) as ReleaseSettings;
  change(s);
  return releaseSettingsSchema.parse(s);
};
const seconds = (w: World, i: number, j: number) => ((w.writes[j]?.atMs ?? NaN) - (w.writes[i]?.atMs ?? NaN)) / 1000;
const wholly = (w: World, version: string) => assert.deepEqual([w.alias.functionVersion, w.alias.weights], [version, {}]);

describe("release judged on evidence (simulated AWS)", function () {
  this.timeout(30_000);

  it("rolls back a version that answers 5% handled 500s, which Lambda counts as successes, during the first step's bake", async () => {
    const w = world({ ...HEALTHY, handledErrorRate: 0.05 });
    const r = await releaseWithShiftline(w, "2", settings((s) => ((s as { smoke: boolean }).smoke = false)));
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.equal(r.report.exitCode, 1);
    assert.match(r.report.message, /evidence of harm: server-errors/);
    assert.equal(w.writes.length, 2, "one shift, one rollback");
    assert.ok(seconds(w, 0, 1) < 130, `rolled back after ${seconds(w, 0, 1)} s, before the 130 s bake ended`);
    wholly(w, "1");
    const last = r.report.checks.at(-1);
    assert.ok(last?.decision !== undefined, "the check records the decision with its counts");
    assert.ok(last.decision.checks.some((c) => c.signal === "server-errors" && c.verdict === "harm" && c.target.events > 0));
  });

  it("advances a healthy version as soon as its minimum bake has passed and the evidence shows health, then promotes it", async () => {
    const w = world(HEALTHY);
    const r = await releaseWithShiftline(w, "2");
    assert.equal(r.report.outcome, "promoted", r.detail);
    wholly(w, "2");
    assert.deepEqual(w.writes.map((x) => Object.values(x.weights)[0] ?? 0), [0.1, 0.5, 1, 0]);
    const first = seconds(w, 0, 1);
    assert.ok(first >= 130, `the 10% step held its 130 s minimum (${first} s)`);
    assert.ok(first < 450, `and advanced on evidence well before the 900 s deadline (${first} s)`);
    assert.ok(r.report.checks.some((c) => c.decision?.outcome === "healthy"));
  });

  it("rolls back a step that gathers no evidence of health by its deadline, saying so", async () => {
    // 0.2 rps with no pre-release history to fit the first step to: 10% sees about one request a minute.
    const w = world(HEALTHY, 0.2);
    const r = await releaseWithShiftline(w, "2", settings((s) => Object.assign(s.health, { evidenceDeadlineSeconds: 300, preReleaseMinutes: 0 })));
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.message, /evidence deadline/);
    assert.ok(Math.abs(seconds(w, 0, 1) - 300) <= 10, `rolled back at the deadline (${seconds(w, 0, 1)} s)`);
    wholly(w, "1");
  });

  it("advances without evidence at the deadline when the stack allows it, and says so", async () => {
    const w = world(HEALTHY, 0.2);
    const r = await releaseWithShiftline(
      w,
      "2",
      settings((s) => Object.assign(s.health, { evidenceDeadlineSeconds: 300, preReleaseMinutes: 0, decision: { ...s.health.decision, promoteWithoutEvidence: true } })),
    );
    assert.equal(r.report.outcome, "promoted", r.detail);
    assert.ok(r.report.notes.some((n) => /advancing without it/.test(n)));
    wholly(w, "2");
  });

  it("raises the first step where traffic before the release is too low for it to show health in its bake", async () => {
    const w = world(HEALTHY, 0.5);
    const r = await releaseWithShiftline(w, "2");
    assert.equal(r.report.outcome, "promoted", r.detail);
    assert.ok(r.report.notes.some((n) => /requests needed to show health/.test(n)), r.report.notes.join("\n"));
    assert.ok((Object.values(w.writes[0].weights)[0] ?? 0) > 0.1 || w.writes[0].functionVersion === "2", "the first write moved more than 10%");
  });

  it("falls back to Lambda's metrics for a target that publishes no request metrics, and says so", async () => {
    const w = world({ ...HEALTHY, publishesMetrics: false });
    const r = await releaseWithShiftline(w, "2");
    assert.ok(r.report.notes.some((n) => /published no request metrics/.test(n)), r.report.notes.join("\n"));
    assert.equal(r.report.outcome, "promoted", r.detail);
    wholly(w, "2");
  });

  it("judges Lambda's metrics with the fixed-count rule when the stack names no request metrics, and lists that as skipped", async () => {
    const w = world({ ...HEALTHY, unhandledRate: 0.5 });
    const r = await releaseWithShiftline(w, "2", settings((s) => ((s as { smoke: boolean }).smoke = false)), { requestMetrics: false });
    assert.ok(r.report.skipped.some((n) => /request metrics: none named/.test(n)));
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.ok(r.report.checks.every((c) => c.decision === undefined));
    wholly(w, "1");
  });

  it("repeats a failed smoke invocation once where the previous version fails as often, and never where it is clean", async () => {
    const flaky = { ...HEALTHY, unhandledRate: 0.2 };
    const retried: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const r = await releaseWithShiftline(world(flaky, 10, seed, flaky), "2");
      retried.push(...r.report.smoke.map((x) => x.retried ?? 0));
      assert.ok(r.report.smoke.every((x) => x.ok || (x.retried ?? 0) === 1), "a failing event was tried twice before failing the gate");
    }
    assert.ok(retried.some((n) => n > 0), "some run repeated an invocation");
    for (let seed = 1; seed <= 12; seed++) {
      const r = await releaseWithShiftline(world(flaky, 10, seed), "2");
      assert.ok(r.report.smoke.every((x) => x.retried === undefined), "a clean previous version: no repeat");
    }
  });

  it("staging at almost no traffic: promotes a healthy version without evidence at its deadline and says so", async () => {
    const w = world(HEALTHY, 0.05);
    const staging = stackReleaseSettings("staging");
    const r = await releaseWithShiftline(w, "2", staging);
    assert.equal(r.report.outcome, "promoted", r.detail);
    assert.ok(r.report.notes.some((n) => /advancing without it/.test(n)), r.report.notes.join("\n"));
    assert.ok(Math.abs(seconds(w, 0, w.writes.length - 1) - staging.health.evidenceDeadlineSeconds) <= staging.health.checkIntervalSeconds, "at the deadline");
    wholly(w, "2");
  });

  it("staging at low traffic still rolls back a version the evidence shows harmful", async () => {
    const w = world({ ...HEALTHY, unhandledRate: 0.5 }, 0.2);
    const r = await releaseWithShiftline(w, "2", releaseSettingsSchema.parse({ ...stackReleaseSettings("staging"), smoke: false }));
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.message, /evidence of harm/);
    wholly(w, "1");
  });

  it("promotes the fix of a previous version that fails 2%, which an alias-wide Errors alarm would block", async () => {
    const w = world(HEALTHY, 10, 11, { ...HEALTHY, unhandledRate: 0.02 });
    const r = await releaseWithShiftline(w, "2");
    assert.equal(r.report.outcome, "promoted", r.detail);
    wholly(w, "2");
  });

  it("promotes the fix of a previous version that fails 20%, whose 502s through the stage carry no version and are not blamed on the target", async () => {
    // Found by replaying releases: three of API Gateway's 502s before the target answered once rolled the fix back at 10%.
    // Seeds 1, 4, 6, 7 and 8 did so before the stage check weighed them against the previous version's own rate.
    for (const seed of [1, 4, 6, 7, 8]) {
      const w = world(HEALTHY, 10, seed, { ...HEALTHY, unhandledRate: 0.2 });
      const r = await releaseWithShiftline(w, "2");
      assert.equal(r.report.outcome, "promoted", `seed ${seed}: ${r.detail}`);
      assert.ok((r.report.stageChecks ?? []).some((c) => c.percent < 100 && c.failures.some((f) => f.status === 502)), `seed ${seed}: the check met 502s at a partial weight and passed`);
      wholly(w, "2");
    }
  });
});
