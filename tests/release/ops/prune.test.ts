/**
 * `prune` against mocked AWS: which versions and artifacts may go (a table for the rule), that
 * nothing is deleted without --apply, that the aliases are re-read before each deletion, that
 * Lambda's refusal to delete a version an alias references counts as "kept", and throttling.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { DeleteFunctionCommand, LambdaClient, ListAliasesCommand, ListVersionsByFunctionCommand, ResourceConflictException, type AliasConfiguration } from "@aws-sdk/client-lambda";
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { CloudWatchPort } from "../../../release/aws/cloudwatch";
import { InventoryPort } from "../../../release/aws/inventory";
import { planPrune, shaHex } from "../../../release/ops/prune";
import { PRUNE_EXIT, PRUNE_EXIT_HELP, pruneMain, type PruneIo } from "../../../release/cli/prune";
import { awsError, FakeClock, PROD_NOW } from "../harness";

// mockClient(Class) replaces `send` on the class's prototype, for every client of that class in
// the whole mocha process, until restore(): created in before() and restored in after(), so the
// stubs exist only while the command's tests run (tests/sdk-mocks.test.ts checks every file does so).
let lambda: AwsClientStub<LambdaClient>;
let s3: AwsClientStub<S3Client>;
let cloudwatch: AwsClientStub<CloudWatchClient>;

/** GetMetricData as CloudWatch answers it: a datapoint for each (alias, version) in `ran`, none for the rest. */
const invocations = (ran: ReadonlyArray<readonly [alias: string, version: string]>) => (input: GetMetricDataCommandInput) => ({
  MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
    const d = Object.fromEntries((q.MetricStat?.Metric?.Dimensions ?? []).map((x) => [x.Name, x.Value]));
    const hit = q.MetricStat?.Metric?.MetricName === "Invocations" && ran.some(([alias, version]) => d.Resource === `${FN}:${alias}` && d.ExecutedVersion === version);
    return { Id: q.Id, StatusCode: "Complete" as const, Timestamps: hit ? [new Date()] : [], Values: hit ? [3] : [] };
  }),
});

/** Lambda's CodeSha256 (base64) of a package, and its artifact key's hex. */
const code = (n: number) => createHash("sha256").update(`package ${n}`).digest();
const sha64 = (n: number) => code(n).toString("base64");
const key = (n: number) => `functions/api/${code(n).toString("hex")}.zip`;
const FN = "shiftline-prod-api";

function io(): PruneIo & { out: () => string; err: () => string; clock: FakeClock } {
  let out = "";
  let err = "";
  const clock = new FakeClock();
  return {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    env: {},
    clock,
    runPulumi: () => undefined,
    createInventory: (region, ctx) => new InventoryPort(new LambdaClient({ region }), new S3Client({ region }), ctx),
    createCloudWatch: (region, ctx) => new CloudWatchPort(new CloudWatchClient({ region }), ctx),
    out: () => out,
    err: () => err,
  };
}

/** Versions 1-12 (version n runs package n; 12 and $LATEST run package 12). */
function versions() {
  lambda.on(ListVersionsByFunctionCommand).resolves({
    Versions: [
      { Version: "$LATEST", CodeSha256: sha64(12), CodeSize: 1000 },
      ...Array.from({ length: 12 }, (_, i) => ({ Version: String(i + 1), CodeSha256: sha64(i + 1), CodeSize: 1000 + i })),
    ],
  });
  s3.on(ListObjectsV2Command).resolves({
    Contents: [...Array.from({ length: 12 }, (_, i) => ({ Key: key(i + 1), Size: 2_000_000 + i })), { Key: "functions/api/README.txt", Size: 10 }],
    IsTruncated: false,
  });
}

// The outputs fixture's latestVersion is 42, which is none of versions 1-12: here only the
// aliases and --keep decide.
const live = (primary: string, weights: Record<string, number> = {}): AliasConfiguration => ({ Name: "live", FunctionVersion: primary, RoutingConfig: { AdditionalVersionWeights: weights } });

describe("prune: the rule", () => {
  const v = (version: string, n = Number(version)) => ({ version, codeSha256: sha64(n) });
  const facts = {
    functionName: FN,
    aliases: [{ name: "live", functionVersion: "9", weighted: ["3"] }, { name: "beta", functionVersion: "5", weighted: ["2"] }],
    versions: [v("$LATEST", 10), v("1"), v("2"), v("3"), v("4"), v("5"), v("6"), v("7"), v("8"), v("9"), v("10")],
    artifacts: { bucket: "b", prefix: "functions/api/", objects: [1, 2, 3, 4, 6, 10].map((n) => ({ key: key(n), size: n })) },
  };
  const cases: Array<{ keep: number; latest?: string; deletable: string[] }> = [
    { keep: 5, latest: "10", deletable: ["4", "1"] },
    { keep: 0, latest: "10", deletable: ["8", "7", "6", "4", "1"] },
    { keep: 0, latest: "6", deletable: ["10", "8", "7", "4", "1"] },
    { keep: 20, deletable: [] },
  ];
  for (const c of cases) {
    it(`keep ${c.keep}, latest ${c.latest ?? "unknown"}: can delete ${c.deletable.join(", ") || "nothing"}`, () => {
      assert.deepEqual(planPrune(facts, { keep: c.keep, latestVersion: c.latest }).deletableVersions, c.deletable);
    });
  }

  it("keeps a version referenced only as a weighted version, and says by which alias", () => {
    const plan = planPrune(facts, { keep: 0, latestVersion: "10" });
    assert.deepEqual(plan.versions.find((x) => x.version === "3")?.keptBecause, ["alias live (weighted)"]);
    assert.deepEqual(plan.versions.find((x) => x.version === "2")?.keptBecause, ["alias beta (weighted)"]);
  });

  it("deletes an artifact only when no kept version nor $LATEST runs its code", () => {
    const plan = planPrune(facts, { keep: 0, latestVersion: "10" });
    // 4 and 1 and 6 go (keep 0, latest 10); 10 is $LATEST's and the latest's; 2 and 3 are weighted.
    assert.deepEqual(plan.deletableArtifacts, [key(1), key(4), key(6)]);
    assert.equal(shaHex(sha64(7)), code(7).toString("hex"), "CodeSha256 is the base64 of the key's hex SHA-256");
  });
});

describe("prune: the command", () => {
  before(() => {
    lambda = mockClient(LambdaClient);
    s3 = mockClient(S3Client);
    cloudwatch = mockClient(CloudWatchClient);
  });
  after(() => {
    lambda.restore();
    s3.restore();
    cloudwatch.restore();
  });
  beforeEach(() => {
    lambda.reset();
    s3.reset();
    cloudwatch.reset();
    cloudwatch.on(GetMetricDataCommand).callsFake(invocations([]));
    versions();
  });

  it("keeps a version an alias ran within --recent-minutes (60 by default), whatever the alias says now", async () => {
    // live moved from 10 to 12 minutes ago; some invokers still reached 10 (azul#7883 saw the same).
    lambda.on(ListAliasesCommand).resolves({ Aliases: [live("12")] });
    cloudwatch.on(GetMetricDataCommand).callsFake(invocations([["live", "10"]]));
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "0", "--json"], h), PRUNE_EXIT.ok, h.err());
    const r = JSON.parse(h.out()) as { recentMinutes: number; plan: { deletableVersions: string[]; versions: Array<{ version: string; keptBecause: string[] }> } };
    assert.equal(r.recentMinutes, 60);
    assert.ok(!r.plan.deletableVersions.includes("10"));
    assert.match(r.plan.versions.find((v) => v.version === "10")?.keptBecause.join("; ") ?? "", /alias live ran it in the last 60 minutes/);
    const asked = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    assert.equal((asked.EndTime as Date).getTime() - (asked.StartTime as Date).getTime(), 60 * 60_000);
    assert.ok(asked.MetricDataQueries?.every((q) => q.MetricStat?.Metric?.Namespace === "AWS/Lambda" && q.MetricStat.Stat === "Sum"));
  });

  it("deletes no version when Lambda's recent invocations cannot be read, and names the grant", async () => {
    lambda.on(ListAliasesCommand).resolves({ Aliases: [live("12")] });
    cloudwatch.on(GetMetricDataCommand).rejects(awsError("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/prune/ops is not authorized to perform: cloudwatch:GetMetricData", 403));
    lambda.on(DeleteFunctionCommand).resolves({});
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "0", "--apply", "--json"], h), PRUNE_EXIT.ok, h.err());
    const r = JSON.parse(h.out()) as { plan: { deletableVersions: string[] } };
    assert.deepEqual(r.plan.deletableVersions, []);
    assert.match(h.err(), /could not be read \(access denied: cloudwatch:GetMetricData, which prune's grant includes/);
    assert.equal(lambda.commandCalls(DeleteFunctionCommand).length, 0);
  });

  it("refuses a --recent-minutes that is no whole number from 0 to 1440, and with 0 reads no metrics", async () => {
    for (const bad of ["-1", "1441", "ten"]) {
      const h = io();
      assert.equal(await pruneMain(["--outputs", PROD_NOW, "--recent-minutes", bad], h), PRUNE_EXIT.badInput, bad);
      assert.match(h.err(), /--recent-minutes = .*must be a whole number of minutes from 0 to 1440/);
    }
    lambda.on(ListAliasesCommand).resolves({ Aliases: [live("12")] });
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--recent-minutes", "0"], h), PRUNE_EXIT.ok, h.err());
    assert.equal(cloudwatch.commandCalls(GetMetricDataCommand).length, 0);
  });

  it("lists what can go with sizes and deletes nothing without --apply", async () => {
    lambda.on(ListAliasesCommand).resolves({ Aliases: [live("12", { "3": 0.05 })] });
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "2", "--json"], h), PRUNE_EXIT.ok, h.err());
    const r = JSON.parse(h.out()) as { outcome: string; plan: { deletableVersions: string[]; deletableArtifacts: string[]; artifacts: Array<{ key: string; size: number; keptBecause: string[] }> } };
    assert.equal(r.outcome, "listed");
    assert.deepEqual(r.plan.deletableVersions, ["10", "9", "8", "7", "6", "5", "4", "2", "1"]);
    assert.deepEqual(r.plan.deletableArtifacts, [1, 2, 4, 5, 6, 7, 8, 9, 10].map(key));
    assert.equal(r.plan.artifacts.find((a) => a.key === key(5))?.size, 2_000_004);
    assert.match(r.plan.artifacts.find((a) => a.key === "functions/api/README.txt")?.keptBecause[0] ?? "", /not a content-addressed/);
    assert.match(h.err(), /version 3 .*kept: alias live \(weighted\)/);
    assert.match(h.err(), /nothing was deleted; run again with --apply/);
    assert.equal(lambda.commandCalls(DeleteFunctionCommand).length, 0);
    assert.equal(s3.commandCalls(DeleteObjectCommand).length, 0);
  });

  it("with --apply re-reads the aliases before each deletion and keeps a version an alias has moved to meanwhile", async () => {
    // A release moves beta onto version 10 after the plan was made (second read on).
    lambda.on(ListAliasesCommand).resolvesOnce({ Aliases: [live("12")] }).resolves({ Aliases: [live("12"), { Name: "beta", FunctionVersion: "9", RoutingConfig: { AdditionalVersionWeights: { "10": 0.5 } } }] });
    lambda.on(DeleteFunctionCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "3", "--apply", "--json"], h), PRUNE_EXIT.ok, h.err());
    const r = JSON.parse(h.out()) as { applied: { deleted: string[]; kept: Array<{ version: string; reason: string }>; deletedArtifacts: string[]; keptArtifacts: string[] } };
    assert.deepEqual(r.applied.kept, [{ version: "9", reason: "alias beta now references it" }]);
    assert.deepEqual(lambda.commandCalls(DeleteFunctionCommand).map((c) => c.args[0].input.Qualifier), ["8", "7", "6", "5", "4", "3", "2", "1"]);
    assert.equal(lambda.commandCalls(ListAliasesCommand).length, 1 + 9, "one read for the plan, then one before each of the 9 candidates");
    assert.ok(!r.applied.deletedArtifacts.includes(key(9)), "the kept version's code stays");
    assert.ok(r.applied.keptArtifacts.includes(key(9)));
    assert.deepEqual(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key), [1, 2, 3, 4, 5, 6, 7, 8].map(key));
  });

  it("treats Lambda's refusal to delete a version an alias references as kept, not as an error", async () => {
    lambda.on(ListAliasesCommand).resolves({ Aliases: [live("12")] });
    lambda.on(DeleteFunctionCommand).resolves({});
    // DeleteFunction: "You can't delete a version that an alias references" (API_DeleteFunction); Lambda answers 409.
    lambda
      .on(DeleteFunctionCommand, { FunctionName: FN, Qualifier: "5" })
      .rejects(new ResourceConflictException({ message: "Unable to delete version because the following aliases reference it: [canary]", $metadata: { httpStatusCode: 409 } }));
    s3.on(DeleteObjectCommand).resolves({});
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "5", "--apply", "--json"], h), PRUNE_EXIT.ok, h.err());
    const r = JSON.parse(h.out()) as { applied: { deleted: string[]; kept: Array<{ version: string; reason: string }>; deletedArtifacts: string[] } };
    assert.deepEqual(r.applied.deleted, ["7", "6", "4", "3", "2", "1"]);
    assert.deepEqual(r.applied.kept, [{ version: "5", reason: "Lambda refused: Unable to delete version because the following aliases reference it: [canary]" }]);
    assert.equal(lambda.commandCalls(DeleteFunctionCommand, { Qualifier: "5" }).length, 1, "asked once, never forced");
    assert.ok(!r.applied.deletedArtifacts.includes(key(5)));
    assert.match(h.err(), /kept version 5: Lambda refused/);
  });

  it("retries throttled listings and deletions on the injected clock", async () => {
    lambda.on(ListAliasesCommand).rejectsOnce(awsError("TooManyRequestsException", "Rate exceeded", 429)).resolves({ Aliases: [live("12")] });
    lambda.on(DeleteFunctionCommand).rejectsOnce(awsError("TooManyRequestsException", "Rate exceeded", 429)).resolves({});
    s3.on(ListObjectsV2Command).rejectsOnce(awsError("SlowDown", "Please reduce your request rate", 503)).resolves({ Contents: [], IsTruncated: false });
    const h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "10", "--apply"], h), PRUNE_EXIT.ok, h.err());
    assert.match(h.out(), /throttled: ListAliasesCommand attempt 1/);
    assert.match(h.out(), /throttled: DeleteFunctionCommand attempt 1/);
    assert.match(h.out(), /throttled: ListObjectsV2Command attempt 1/);
    assert.deepEqual(lambda.commandCalls(DeleteFunctionCommand).map((c) => c.args[0].input.Qualifier), ["2", "2", "1"]);
    assert.ok(h.clock.slept > 0);
  });

  it("names the prune grant, not the deployer role, when a deletion is denied; exits 2 on bad input", async () => {
    lambda.on(ListAliasesCommand).resolves({ Aliases: [live("12")] });
    lambda.on(DeleteFunctionCommand).rejects(awsError("AccessDeniedException", "User: arn:aws:sts::1:assumed-role/deployer/x is not authorized to perform: lambda:DeleteFunction on resource: arn:aws:lambda:eu-west-1:1:function:shiftline-prod-api:1", 403));
    let h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "11", "--apply"], h), PRUNE_EXIT.awsError);
    assert.match(h.err(), /needs the IAM action lambda:DeleteFunction .*grant it to the role that runs prune \(README: Pruning; never the deployer role\)/);
    h = io();
    assert.equal(await pruneMain(["--outputs", PROD_NOW, "--keep", "five"], h), PRUNE_EXIT.badInput);
    assert.match(h.err(), /--keep.*must be a whole number of versions from 0 to 1000/);
  });

  it("refuses an empty --function or --region before any AWS call (review)", async () => {
    lambda.on(ListAliasesCommand).rejects(new Error("no AWS call may be made"));
    for (const [argv, message] of [
      [["--function", "", "--region", "eu-west-1"], /--function = "": must not be empty/],
      [["--function", "f", "--region", " "], /--region = " ": must not be empty/],
    ] as Array<[string[], RegExp]>) {
      const h = io();
      assert.equal(await pruneMain(argv, h), PRUNE_EXIT.badInput, argv.join(" "));
      assert.match(h.err(), message);
    }
    assert.equal(lambda.commandCalls(ListAliasesCommand).length, 0);
  });
});

describe("README prune section", () => {
  it("documents the same exit codes as --help prints, and --help prints them", async () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("<!-- section:prune -->"), readme.indexOf("<!-- /section:prune -->"));
    const documented = [...section.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
    assert.deepEqual(documented, PRUNE_EXIT_HELP.map(([c]) => c));
    const h = io();
    assert.equal(await pruneMain(["--help"], h), 0);
    for (const [code, text] of PRUNE_EXIT_HELP) assert.ok(h.out().includes(`${String(code).padStart(3)}  ${text}`), text);
  });
});
