/**
 * Releases on an alias with provisioned concurrency. The harness models what Lambda does
 * (terraform-provider-aws PR #48116, hashicorp/terraform#24957): after a write that moves the
 * alias's primary version it keeps `{old: 1.0}` on the alias until the new version's
 * environments are allocated, then clears it; after every write the alias's provisioned
 * concurrency is IN_PROGRESS for a while before it is READY.
 */
import assert from "node:assert/strict";
import { UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { main } from "../../../release/cli/release";
import { EXIT } from "../../../release/core/outcome";
import { PROVISIONED_WAIT } from "../../../release/engine/provisioned";
import { harness, PROD, T0, type Harness } from "../harness";

const wholly = (version: string) => ({ functionVersion: version, weights: {} });
const aliasNow = (h: Harness) => ({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights });
const writes = (h: Harness) => h.world.aliasWrites.map((w) => ({ functionVersion: w.functionVersion, weights: w.weights }));
const count = (h: Harness, name: string) => h.sent().filter((n) => n === name).length;
const provisionAlias = (h: Harness) => h.world.provisioned.set("live", { status: "READY", requested: 5 });

describe("release run: provisioned concurrency on the alias", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  for (const bumps of [true, false]) {
    it(`promotion waits for Lambda's own weight on the old version to clear instead of calling it a concurrent change (exit 0; clearing ${bumps ? "changes" : "keeps"} the RevisionId)`, async () => {
      provisionAlias(h);
      h.world.pc.transitionBumpsRevision = bumps;
      const code = await main(["--outputs", PROD], h.io);
      assert.equal(code, EXIT.ok, h.out());
      assert.match(h.out(), /waiting for Lambda to allocate provisioned concurrency for version 42: it keeps 100% on version 41/);
      assert.match(h.out(), /Lambda cleared its provisioned-concurrency weights after 50s/);
      assert.match(h.out(), /version 42 promoted/);
      assert.deepEqual(writes(h), [{ functionVersion: "41", weights: { "42": 10 } }, { functionVersion: "41", weights: { "42": 100 } }, wholly("42")], "Lambda's weights were waited out, never written over");
      assert.deepEqual(aliasNow(h), wholly("42"));
    });
  }

  it("all-at-once without a final bake waits for the switch to settle too (exit 0)", async () => {
    provisionAlias(h);
    const code = await main(["--outputs", PROD, "--strategy", "all-at-once", "--final-bake", "0"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.deepEqual(writes(h), [wholly("42")]);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("judges each step only once the alias's provisioned concurrency is READY, so cold starts during allocation do not fail the canary (exit 0)", async () => {
    provisionAlias(h);
    h.world.pc.allocationSeconds = 90;
    // The p99 latency alarm fires while the target's share runs on cold environments.
    h.world.onAliasWrite = () => {
      h.world.alarms["shiftline-prod-api-live-p99-duration"] = "ALARM";
      h.clock.at((h.clock.now() - T0) / 1000 + 90, () => (h.world.alarms["shiftline-prod-api-live-p99-duration"] = "OK"));
    };
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /waiting for provisioned concurrency to be READY before judging \(live 0\/5 allocated \(IN_PROGRESS\)/);
    const firstShift = h.world.aliasWrites[0].at;
    const firstJudged = Math.min(...h.world.metricWindows.filter((w) => w.at > firstShift).map((w) => w.at));
    assert.ok(firstJudged - firstShift >= 90_000, `first check ${(firstJudged - firstShift) / 1000}s after the shift`);
    assert.ok(h.world.aliasWrites[1].at - firstShift >= (90 + 300) * 1000, "the canary baked its full 300 s after READY");
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("a target whose provisioned concurrency FAILED is rolled back before any judgement (exit 1)", async () => {
    provisionAlias(h);
    h.world.pc.failingVersion = "42";
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.rolledBack, h.out());
    assert.match(h.out(), /provisioned concurrency of live FAILED at 10%: FUNCTION_ERROR_INIT_FAILURE/);
    assert.deepEqual(writes(h), [{ functionVersion: "41", weights: { "42": 10 } }, wholly("41")]);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("a switch that never settles is waited on for a bounded time, reported, then rolled back (exit 1)", async () => {
    provisionAlias(h);
    h.world.pc.failingVersion = "42";
    const code = await main(["--outputs", PROD, "--strategy", "all-at-once", "--final-bake", "0", "--no-smoke"], h.io);
    assert.equal(code, EXIT.rolledBack, h.out());
    assert.match(h.out(), /version 42 did not take over: after 15m Lambda still routes traffic to version 41/);
    assert.ok(h.clock.now() - T0 >= PROVISIONED_WAIT.maxSeconds * 1000 && h.clock.now() - T0 < 2 * PROVISIONED_WAIT.maxSeconds * 1000 + 120_000, `${(h.clock.now() - T0) / 1000}s`);
    // The rollback moves the primary back to 41, which Lambda transitions (and clears) in turn,
    // keeping 42 serving meanwhile: the harness's transition takes pc.transitionSeconds.
    assert.deepEqual(writes(h), [wholly("42"), wholly("41")]);
    const kept = /rolled back: alias live is wholly on version 41 \(Lambda kept version 42 serving for (\d+) s after the rollback was written, while it allocated version 41's provisioned concurrency\)/.exec(h.out());
    assert.ok(kept, h.out());
    const seconds = Number(kept[1]);
    assert.ok(seconds >= h.world.pc.transitionSeconds && seconds <= h.world.pc.transitionSeconds + PROVISIONED_WAIT.pollSeconds, `${seconds} s measured, ${h.world.pc.transitionSeconds} s in the harness, polled every ${PROVISIONED_WAIT.pollSeconds} s`);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.ok(count(h, "GetAlias") < 200, "polled, not spun");
  });

  it("someone else moving the alias during Lambda's transition is not mistaken for it (exit 4, left as they set it)", async () => {
    provisionAlias(h);
    h.world.versions.set("43", { state: "Active", role: "x" });
    h.world.onAliasWrite = (w) => {
      if (w.functionVersion === "42" && Object.keys(w.weights).length === 0) h.clock.at((h.clock.now() - T0) / 1000 + 20, () => h.world.externalAliasChange("43"));
    };
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.conflict, h.out());
    assert.match(h.out(), /neither that write nor Lambda's provisioned-concurrency transition/);
    assert.equal(h.lambda.commandCalls(UpdateAliasCommand).length, 3, "nothing written after the other writer");
    assert.deepEqual(aliasNow(h), wholly("43"));
  });

  it("a release started while Lambda's transition weight is still on the alias waits for it instead of refusing it as another release (exit 0)", async () => {
    provisionAlias(h);
    h.world.versions.set("43", { state: "Active", role: h.world.versions.get("42")?.role });
    // Someone moved live from 41 to 42 a moment ago; Lambda still keeps 41 at 1.0.
    h.world.alias = { functionVersion: "42", weights: { "41": 100 }, revision: 7 };
    h.world.provisioned.set("live", { status: "IN_PROGRESS", requested: 5 });
    h.clock.at(60, () => {
      h.world.alias = { functionVersion: "42", weights: {}, revision: 8 };
      h.world.provisioned.set("live", { status: "READY", requested: 5 });
    });
    const code = await main(["--outputs", PROD, "--to-version", "43"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.doesNotMatch(h.out(), /another release/);
    assert.match(h.out(), /may be Lambda's own transition weight/);
    assert.equal(h.world.aliasWrites[0].revisionId, "alias-rev-8", "the release started from the settled alias");
    assert.deepEqual(aliasNow(h), wholly("43"));
  });

  it("a split that stays once the allocation is over is still an unfinished release (exit 4, untouched)", async () => {
    provisionAlias(h);
    h.world.alias.weights = { "43": 20 };
    h.world.provisioned.set("live", { status: "IN_PROGRESS", requested: 5 });
    h.clock.at(30, () => h.world.provisioned.set("live", { status: "READY", requested: 5 }));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.conflict);
    assert.match(h.out(), /already routes 20% to version 43/);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "43": 20 } });
  });
});

describe("release run: provisioned concurrency on versions", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("waits for the target version's own provisioned concurrency to be READY before judging (exit 0)", async () => {
    h.world.provisioned.set("42", { status: "IN_PROGRESS", requested: 2 });
    h.clock.at(70, () => h.world.provisioned.set("42", { status: "READY", requested: 2 }));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /provisioned concurrency READY for 42 after/);
    const firstShift = h.world.aliasWrites[0].at;
    assert.ok(Math.min(...h.world.metricWindows.filter((w) => w.at > firstShift).map((w) => w.at)) >= T0 + 70_000);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("sends no provisioned-concurrency call beyond the three lookups when none is configured", async () => {
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.ok, h.out());
    assert.equal(count(h, "GetProvisionedConcurrencyConfig"), 3);
  });
});
