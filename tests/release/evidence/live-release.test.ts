/**
 * Whole releases judged on the live stream: the real controller against the release simulator's
 * Lambda, CloudWatch and Live Tail (bench/release/live-tail.ts, which streams as StartLiveTail's
 * API reference describes). Each scenario asserts the outcome, what was judged on which source,
 * and that the alias ends wholly on one version.
 */
import assert from "node:assert/strict";
import { prodReleaseSettings, releaseWithShiftline } from "../../../bench/release/contenders";
import { DEFAULT_LIVE_TAIL, type SimLiveTail } from "../../../bench/release/live-tail";
import { HEALTHY } from "../../../bench/release/simulate";
import { World, type VersionBehaviour, type WorldOptions } from "../../../bench/release/world";
import type { CheckRecord } from "../../../release/engine/report";
import { releaseSettingsSchema, type ReleaseSettings } from "../../../release/inputs/settings";

const START = Date.UTC(2027, 0, 1);

function world(target: VersionBehaviour, options: Partial<WorldOptions> = {}, rps = 10, seed = 11): World {
  const w = new World({ seed, rps, versions: { "1": HEALTHY, "2": target }, primary: "1", emfDelaySeconds: 10, standardDelaySeconds: 60, startMs: START, ...options });
  w.advanceTo(START + 65 * 60_000 + 17_000);
  return w;
}

const wholly = (w: World, version: string) => assert.deepEqual([w.alias.functionVersion, w.alias.weights], [version, {}]);
const noSmoke = (): ReleaseSettings => releaseSettingsSchema.parse({ ...structuredClone(prodReleaseSettings()), smoke: false });
const at = (iso: string) => Date.parse(iso);

describe("release judged on the live stream (simulated AWS)", function () {
  this.timeout(60_000);

  it("promotes the last step only once the stream has shown its own traffic up to the end of its bake", async () => {
    // A slow stream: requests arrive about 20 s after they are answered.
    const w = world(HEALTHY);
    const r = await releaseWithShiftline(w, "2", undefined, { live: { medianDelayMs: 20_000, p99DelayMs: 30_000 } });
    assert.equal(r.report.outcome, "promoted", r.detail);
    const finalShift = w.writes.at(-2)?.atMs ?? NaN;
    const bakeEnd = finalShift + prodReleaseSettings().finalBakeSeconds * 1000;
    const finalChecks = r.report.checks.filter((c) => c.percent === 100);
    const last = finalChecks.at(-1) as CheckRecord;
    assert.ok(last.watermark !== undefined && at(last.watermark) >= bakeEnd - 1000, `promoted on a watermark of ${last.watermark}, the bake ended at ${new Date(bakeEnd).toISOString()}`);
    assert.ok((w.writes.at(-1)?.atMs ?? 0) >= bakeEnd + 15_000, "the promotion waited for the stream's measured delay past the bake");
    assert.ok(finalChecks.some((c) => c.watermark !== undefined && at(c.watermark) < bakeEnd), "some checks saw the stream short of the bake's end, and held");
    assert.ok(r.report.checks.every((c) => c.sources?.includes("live-tail")), "every check judged on the stream");
    wholly(w, "2");
  });

  it("rolls back on harm as soon as it has arrived, past the watermark too: only health, advancing and promotion wait for it", async () => {
    // A slow stream (about 20 s), a target failing 30%: the deciding check counted more of the target's requests than its watermark window held.
    const w = world({ ...HEALTHY, unhandledRate: 0.3 });
    const r = await releaseWithShiftline(w, "2", noSmoke(), { live: { medianDelayMs: 20_000, p99DelayMs: 30_000 } });
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    const last = r.report.checks.at(-1) as CheckRecord;
    const errors = last.decision?.checks.find((c) => c.signal === "server-errors");
    assert.ok(errors !== undefined && errors.verdict === "harm", JSON.stringify(last.decision));
    assert.ok(errors.target.requests > last.targetInvocations, `harm on ${errors.target.requests} target requests, the watermark window held ${last.targetInvocations}`);
    wholly(w, "1");
  });

  it("promotes a good version on the stream while the metric pipeline is stalled, never on metrics it has not seen", async () => {
    const w = world(HEALTHY, { emfStallSeconds: 600 });
    const r = await releaseWithShiftline(w, "2");
    assert.equal(r.report.outcome, "promoted", r.detail);
    assert.ok(r.report.checks.every((c) => c.sources?.includes("live-tail") && !c.sources.includes("request-metrics")), JSON.stringify(r.report.checks.map((c) => c.sources)));
    assert.ok((w.writes.at(-1)?.atMs ?? 0) - (w.writes[0]?.atMs ?? 0) < 300_000, "well before the stalled metrics could have arrived");
    wholly(w, "2");
  });

  it("rolls back a version that fails only once it carries all the traffic, which its bake at 100% shows on the stream", async () => {
    const w = world({ ...HEALTHY, atFullLoad: { unhandledRate: 0.05 } }, { emfDelaySeconds: 60 });
    const r = await releaseWithShiftline(w, "2", noSmoke());
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.equal(r.report.exitCode, 1);
    assert.match(r.report.message, /health failed at 100%/);
    wholly(w, "1");
  });

  it("holds a step while the stream stalls, saying what it waits for, and rolls back at the deadline rather than advance on unseen traffic", async () => {
    const w = world(HEALTHY);
    const s = noSmoke();
    const settings = releaseSettingsSchema.parse({ ...s, health: { ...s.health, evidenceDeadlineSeconds: 240 } });
    const r = await releaseWithShiftline(w, "2", settings, { live: { ...DEFAULT_LIVE_TAIL, stallFromWrite: 0 } });
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.message, /health not shown at 10% within 4m/);
    wholly(w, "1");
  });

  it("judges a sampled stream (over 500 events a second) as proportions, says so, and rolls back a failing version", async () => {
    const w = world({ ...HEALTHY, unhandledRate: 0.05 }, {}, 2000, 5);
    const r = await releaseWithShiftline(w, "2", noSmoke());
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.ok((r.report.liveEvidence?.sampledUpdates ?? 0) > 0, JSON.stringify(r.report.liveEvidence));
    assert.ok(r.report.checks.some((c) => c.sampled === true), "a check records that it judged a sample");
    wholly(w, "1");
  });

  it("reopens a session that ends mid-release, counting the time between as unseen, and still promotes", async () => {
    const w = world(HEALTHY);
    let live: SimLiveTail | undefined;
    const r = await releaseWithShiftline(w, "2", undefined, { live: { ...DEFAULT_LIVE_TAIL, sessionSeconds: 90 }, onLive: (l) => (live = l) });
    assert.equal(r.report.outcome, "promoted", r.detail);
    assert.ok((r.report.liveEvidence?.sessions ?? 0) >= 2, JSON.stringify(r.report.liveEvidence));
    assert.ok(r.report.notes.some((n) => /three hours; opening another/.test(n)));
    assert.equal(live?.sessions.opened, r.report.liveEvidence?.sessions);
    wholly(w, "2");
  });

  it("falls back to metrics when the account's Live Tail sessions are all in use, and says which source judged", async () => {
    const w = world({ ...HEALTHY, handledErrorRate: 0.05 });
    const r = await releaseWithShiftline(w, "2", noSmoke(), { live: { ...DEFAULT_LIVE_TAIL, unavailable: "quota" } });
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.liveEvidence?.unavailable ?? "", /LimitExceededException/);
    assert.ok(r.report.notes.some((n) => /live evidence unavailable .*judged on metrics alone/.test(n)), r.report.notes.join("\n"));
    assert.ok(r.report.checks.every((c) => c.sources?.includes("request-metrics") && !c.sources.includes("live-tail")));
    wholly(w, "1");
  });

  it("without the stream (quota), promotes the last step only once the request metrics account for Lambda's invocations to the end of its bake", async () => {
    // Metrics a minute late on average: the last step waits for them, measured, not for an assumed delay.
    const w = world(HEALTHY, { emfDelaySeconds: 60 });
    const r = await releaseWithShiftline(w, "2", undefined, { live: { ...DEFAULT_LIVE_TAIL, unavailable: "quota" } });
    assert.equal(r.report.outcome, "promoted", r.detail);
    const finalShift = w.writes.at(-2)?.atMs ?? NaN;
    const bakeEnd = finalShift + prodReleaseSettings().finalBakeSeconds * 1000;
    const final = r.report.checks.filter((c) => c.percent === 100);
    const last = final.at(-1) as CheckRecord;
    assert.ok(last.sources?.includes("request-metrics") && !last.sources.includes("live-tail"));
    assert.ok(last.watermark !== undefined && at(last.watermark) >= bakeEnd, `promoted on metrics complete to ${last.watermark}; the bake ended at ${new Date(bakeEnd).toISOString()}`);
    assert.ok(final.some((c) => c.watermark === undefined || at(c.watermark) < bakeEnd), "some checks saw the metrics short of the bake's end, and held");
    wholly(w, "2");
  });

  it("without the stream, a stalled metric pipeline holds the step to its deadline and rolls back: never promoted on unseen traffic, never taken for an old build", async () => {
    const w = world(HEALTHY, { emfStallSeconds: 600 });
    const s = noSmoke();
    const settings = releaseSettingsSchema.parse({ ...s, health: { ...s.health, evidenceDeadlineSeconds: 240 } });
    const r = await releaseWithShiftline(w, "2", settings, { live: false });
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.message, /health not shown at 10% within 4m/);
    assert.ok(!r.report.notes.some((n) => /published no request metrics/.test(n)), "a stalled pipeline is not an old build");
    wholly(w, "1");
  });

  it("without the stream, a metric pipeline that stalls once the target takes all traffic holds the last step, which is rolled back at its deadline, not promoted", async () => {
    // Writes: 10%, 50%, then the final bake's hold at 100% (the third): from there the metrics stall.
    const w = world(HEALTHY, { emfStallSeconds: 600, emfStallFromWrite: 2 });
    const s = noSmoke();
    const settings = releaseSettingsSchema.parse({ ...s, health: { ...s.health, evidenceDeadlineSeconds: 240 } });
    const r = await releaseWithShiftline(w, "2", settings, { live: false });
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.message, /health not shown at 100% within 4m.*the request metrics \(against Lambda's invocations\) had shown requests .*not the end of the bake/);
    assert.equal(w.writes.filter((x) => x.functionVersion === "2" && Object.keys(x.weights).length === 0).length, 0, "never promoted");
    wholly(w, "1");
  });

  it("without the stream, still tells an old build that publishes nothing from a stalled pipeline, and says so", async () => {
    const w = world({ ...HEALTHY, publishesMetrics: false });
    const r = await releaseWithShiftline(w, "2", undefined, { live: false });
    assert.ok(r.report.notes.some((n) => /published no request metrics though Lambda counted/.test(n)), r.report.notes.join("\n"));
    assert.equal(r.report.outcome, "promoted", r.detail);
    wholly(w, "2");
  });

  it("a stream that stalls once the target takes all traffic holds the last step, which is rolled back at its deadline, not promoted", async () => {
    const w = world(HEALTHY);
    const s = noSmoke();
    const settings = releaseSettingsSchema.parse({ ...s, health: { ...s.health, evidenceDeadlineSeconds: 240 } });
    // Like the metrics above, the stream stops once the alias's third write (the final hold at 100%) is made.
    const r = await releaseWithShiftline(w, "2", settings, { live: { ...DEFAULT_LIVE_TAIL, stallFromWrite: 2 } });
    assert.equal(r.report.outcome, "rolled-back", r.detail);
    assert.match(r.report.message, /health not shown at 100% within 4m.*the live stream had shown requests up to .*not the end of the bake/);
    wholly(w, "1");
  });

  it("ends the Live Tail session when SIGINT interrupts the release, and rolls back (exit 130)", async () => {
    const w = world(HEALTHY);
    const interrupt = new AbortController();
    let live: SimLiveTail | undefined;
    // The signal comes 40 s into the first bake, as Ctrl-C would.
    w.listeners.push(() => {
      if (w.writes.length > 0 && w.nowMs - w.writes[0].atMs > 40_000 && !interrupt.signal.aborted) interrupt.abort("SIGINT");
    });
    const r = await releaseWithShiftline(w, "2", noSmoke(), { signal: interrupt.signal, onLive: (l) => (live = l) });
    assert.equal(r.report.exitCode, 130, r.detail);
    assert.equal(live?.sessions.closedByClient, 1, "the release closed its session");
    wholly(w, "1");
  });
});
