import assert from "node:assert/strict";
import { GetAliasCommand, PreconditionFailedException, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { main } from "../../../release/cli/release";
import { preflight } from "../../../release/engine/preflight";
import { EXIT } from "../../../release/core/outcome";
import { awsError, harness, PROD, T0, type Harness } from "../harness";

const wholly = (version: string) => ({ functionVersion: version, weights: {} });
const aliasNow = (h: Harness) => ({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights });
const preconditionFailed = () =>
  new PreconditionFailedException({ message: "The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.", $metadata: { httpStatusCode: 412 } });
const serverError = () => awsError("ServiceException", "Lambda was unable to complete the request", 500);

describe("release run: alias writes whose answer was lost", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("a retried step whose first attempt was applied (throttled answer, then PreconditionFailed) is recognised with GetAlias and the release goes on (exit 0)", async () => {
    h.world.loseResponse("UpdateAlias", awsError("TooManyRequestsException", "Rate exceeded", 429));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.doesNotMatch(h.out(), /changed by someone else/);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("an SDK retry answered PreconditionFailed after the promotion was applied still counts as promoted (exit 0)", async () => {
    h.clock.at(400, () => h.world.loseResponse("UpdateAlias", preconditionFailed()));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /version 42 promoted/);
    assert.equal(h.world.loseNext.get("UpdateAlias")?.length, 0, "the promotion's answer was lost");
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("a first shift applied but answered with a server error is rolled back from a fresh GetAlias (exit 5)", async () => {
    h.world.loseResponse("UpdateAlias", serverError());
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.awsError);
    assert.match(h.out(), /ServiceException.*rolled back: alias live is wholly on version 41/);
    assert.deepEqual(h.world.aliasWrites.at(-1)?.revisionId, "alias-rev-2", "the rollback used the RevisionId read back, not the stale one");
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("a PreconditionFailed whose alias is not what was asked for is a conflict, left as the other writer set it (exit 4)", async () => {
    h.world.versions.set("43", { state: "Active", role: "x" });
    h.clock.at(100, () => h.world.externalAliasChange("43"));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.conflict);
    assert.match(h.out(), /changed by someone else.*wholly on version 43/);
    assert.deepEqual(aliasNow(h), wholly("43"));
  });
});

describe("release run: rollback re-reads the alias", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("a concurrent change that lands while rolling back is reported and left as it is (exit 4)", async () => {
    h.world.versions.set("43", { state: "Active", role: "x" });
    h.clock.at(120, () => {
      h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM";
      h.world.externalAliasChange("43");
    });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.conflict);
    assert.match(h.out(), /changed by someone else.*wholly on version 43\); it was left as they set it/);
    assert.deepEqual(aliasNow(h), wholly("43"));
  });
});

describe("release run: the final bake stays a visible, abortable split", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  /** The process dies right after the final bake's hold was written (the prod canary bakes 300 s at 10% first). */
  async function crashInFinalBake(): Promise<void> {
    h.clock.at(330, () => (h.world.crashAfter = "UpdateAlias"));
    await main(["--outputs", PROD], h.io);
    h.world.down = false;
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "42": 100 } });
  }

  it("a rerun after a crash in the final bake refuses to start over and names --resume and --abort (exit 4)", async () => {
    await crashInFinalBake();
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.conflict);
    assert.match(h.out(), /at 100%.*--resume.*--abort to roll back wholly to version 41/);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "42": 100 } });
  });

  it("--abort after a crash in the final bake puts the alias wholly back on the previous version (exit 1)", async () => {
    await crashInFinalBake();
    assert.equal(await main(["--outputs", PROD, "--abort"], h.io), EXIT.rolledBack);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("--resume after a crash in the final bake bakes it again, then promotes (exit 0)", async () => {
    await crashInFinalBake();
    const before = h.world.aliasWrites.length;
    assert.equal(await main(["--outputs", PROD, "--resume"], h.io), EXIT.ok, h.out());
    const resumed = h.world.aliasWrites.slice(before);
    assert.equal(resumed.length, 1);
    assert.ok(resumed[0].at - h.world.aliasWrites[before - 1].at >= 60_000, "the final bake (60 s) was held again before promotion");
    assert.deepEqual(aliasNow(h), wholly("42"));
  });
});

describe("release run: health that cannot be judged, and resumed health", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("a target that never reaches minInvocations in a partial step is rolled back, not promoted unjudged (exit 1)", async () => {
    h.world.metrics = (v) => (v === "42" ? { invocations: 3, errors: 3 } : { invocations: 500, errors: 0 });
    const code = await main(["--outputs", PROD, "--json"], h.io);
    assert.equal(code, EXIT.rolledBack, h.err());
    const report = JSON.parse(h.out()) as { message: string; checks: Array<{ notes: string[] }> };
    assert.match(report.message, /health not judged at 10%: version 42 had 3 of the 20 invocations needed.*lower --min-invocations/);
    assert.match(report.checks[0].notes.join("; "), /3 of 20 invocations needed/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("errors from the canary's bake that CloudWatch publishes only after the bake ended still roll it back (metric delay, exit 1)", async () => {
    // The prod canary bakes 300 s at 10%; these datapoints become visible 30 s after the bake.
    h.world.metrics = (v, now, start, end) => (v === "42" && now >= T0 + 330_000 && start <= T0 + 290_000 && end >= T0 + 290_000 ? { invocations: 100, errors: 25 } : { invocations: 100, errors: 0 });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.match(h.out(), /health failed at 10%: target error rate 25%/);
    assert.equal(h.world.aliasWrites.length, 2, "the release never went past the canary");
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("--resume while a configured alarm is in ALARM rolls back: the split itself may be firing it (exit 1)", async () => {
    h.world.alias.weights = { "42": 10 };
    h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM";
    const code = await main(["--outputs", PROD, "--resume"], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.match(h.out(), /cannot resume: alarm shiftline-prod-api-live-errors in ALARM/);
    assert.equal(h.sent().filter((n) => n === "Invoke").length, 0, "refused before the smoke gate");
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("--resume with nothing in flight starts over, judging an alarm already firing by error rates as usual (exit 0)", async () => {
    h.world.alarms["shiftline-prod-api-live-errors"] = "ALARM";
    const code = await main(["--outputs", PROD, "--resume"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /no unfinished release on alias live; starting from the beginning/);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("--resume judges the errors the split caused before the crash, not only those after it (exit 1)", async () => {
    h.world.alias.weights = { "42": 10 };
    // The earlier run had the split for its whole 300 s bake; its errors lie before the resume.
    h.world.metrics = (v, _now, start) => (v === "42" && start <= T0 - 300_000 ? { invocations: 100, errors: 30 } : { invocations: 100, errors: 0 });
    const code = await main(["--outputs", PROD, "--resume"], h.io);
    assert.equal(code, EXIT.rolledBack);
    assert.match(h.out(), /target error rate 30%/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });
});

describe("preflight: stage permission", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("a permission for another stage of the same API does not count for this stage (exit 3, nothing moved)", async () => {
    h.world.permittedStage = "staging";
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.gateFailed);
    assert.match(h.out(), /stage prod \(REST API a1b2c3d4e5\) has no permission.*a1b2c3d4e5\/prod\/\*/);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("reads the alias's resource policy once however many stages route to it", async () => {
    const stage = (stageName: string) => ({ stageName, alias: "live", restApiId: "a1b2c3d4e5", invokeUrl: `https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/${stageName}` });
    h.world.permittedStage = "*";
    const ports = h.io.createPorts("eu-west-1", h.clock, undefined);
    const result = await preflight(ports.lambda, { functionName: "shiftline-prod-api", alias: "live", target: "42", stages: [stage("prod"), stage("beta")], weighted: true, resume: false });
    assert.equal(result.kind, "ready");
    assert.equal(h.sent().filter((n) => n === "GetPolicy").length, 1);
  });
});

describe("release run: weights read back from AWS", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  for (const weight of [0.125, 0.004]) {
    it(`--resume refuses a split at weight ${weight}, which is no whole percentage, and points to --abort (exit 4)`, async () => {
      h.lambda.on(GetAliasCommand).resolves({ FunctionVersion: "41", RoutingConfig: { AdditionalVersionWeights: { "42": weight } }, RevisionId: h.world.revisionId });
      assert.equal(await main(["--outputs", PROD, "--resume"], h.io), EXIT.conflict);
      assert.match(h.out(), new RegExp(`weight ${weight} to version 42, which is not a whole percentage.*--abort`));
      assert.equal(h.world.aliasWrites.length, 0, "the alias is left exactly as it was");
    });
  }
});

describe("release run: a weight of 0 is a split to clear", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("a plain run over a 0% weight on the target is no unfinished release: it releases, and its first write clears the weight (exit 0)", async () => {
    h.world.alias.weights = { "42": 0 };
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /lists version 42 at weight 0, which routes no traffic/);
    assert.deepEqual(h.world.aliasWrites[0].weights, { "42": 10 });
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("--resume over a 0% weight starts from the beginning instead of baking 0% and rolling back (exit 0)", async () => {
    h.world.alias.weights = { "42": 0 };
    const code = await main(["--outputs", PROD, "--resume"], h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /no unfinished release on alias live; starting from the beginning/);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("--abort clears a 0% weight with an explicitly empty RoutingConfig, and a release then proceeds (exit 1, then 0)", async () => {
    h.world.alias.weights = { "43": 0 };
    assert.equal(await main(["--outputs", PROD, "--abort"], h.io), EXIT.rolledBack, h.out());
    assert.match(h.out(), /aborted: the weight 0 on version 43 was cleared; alias live is wholly on version 41/);
    assert.deepEqual(h.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input.RoutingConfig), [{ AdditionalVersionWeights: {} }]);
    assert.deepEqual(aliasNow(h), wholly("41"));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.ok, h.out());
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("reads a weight that only rounds to 0% (0.004) as a split, never as a cleared one", async () => {
    h.lambda.on(GetAliasCommand).resolves({ FunctionVersion: "41", RoutingConfig: { AdditionalVersionWeights: { "42": 0.004, "43": 0 } }, RevisionId: "r" });
    const alias = await h.io.createPorts("eu-west-1", h.clock, undefined).lambda.getAlias("shiftline-prod-api", "live");
    assert.deepEqual(alias?.weights, { "42": 0 });
    assert.deepEqual(alias?.zeroWeights, ["43"]);
  });
});

describe("release run: any write since the release's own last one is a concurrent change (RevisionId)", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  const afterFirstShift = (h: Harness, change: () => void) => {
    let first = true;
    h.world.onAliasWrite = () => {
      if (first) change();
      first = false;
    };
  };

  it("someone putting the alias back on the previous version right after a shift is a conflict, not 'no traffic had moved' (exit 4)", async () => {
    afterFirstShift(h, () => h.world.externalAliasChange("41"));
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.conflict, h.out());
    assert.match(h.out(), /changed by someone else during the bake at 10% \(RevisionId alias-rev-2, now alias-rev-3, wholly on version 41\)/);
    assert.doesNotMatch(h.out(), /no traffic had moved|rolled back: alias/);
    assert.equal(h.world.aliasWrites.length, 1);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });

  it("someone writing exactly the release's next step is still someone else: not adopted as ours (exit 4, left as they set it)", async () => {
    afterFirstShift(h, () => h.world.externalAliasChange("41", { "42": 100 }));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.conflict, h.out());
    assert.equal(h.world.aliasWrites.length, 1);
    assert.deepEqual(aliasNow(h), { functionVersion: "41", weights: { "42": 100 } });
  });

  it("someone promoting the target by hand during the final bake is a conflict, not our promotion (exit 4)", async () => {
    h.clock.at(400, () => h.world.externalAliasChange("42"));
    assert.equal(await main(["--outputs", PROD], h.io), EXIT.conflict, h.out());
    assert.equal(h.world.aliasWrites.length, 2);
    assert.deepEqual(aliasNow(h), wholly("42"));
  });

  it("an interrupted run whose alias someone else put back meanwhile does not claim the rollback (exit 4)", async () => {
    afterFirstShift(h, () => {
      h.world.externalAliasChange("41");
      h.signals.emit("SIGINT");
    });
    const code = await main(["--outputs", PROD], h.io);
    assert.equal(code, EXIT.conflict, h.out());
    assert.match(h.out(), /not rolled back: alias live was changed by someone else since this release's last write \(RevisionId alias-rev-2, now alias-rev-3\)/);
    assert.equal(h.world.aliasWrites.length, 1);
    assert.deepEqual(aliasNow(h), wholly("41"));
  });
});
