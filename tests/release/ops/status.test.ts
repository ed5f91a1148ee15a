/**
 * `status` against mocked AWS: the alias states a release can leave or meet (a split mid-release,
 * Lambda's provisioned-concurrency transition weights, a 0.0 weight), what --resume/--abort would
 * do, the per-version EMF figures, and throttling retried on the injected clock.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { GetAliasCommand, GetProvisionedConcurrencyConfigCommand, LambdaClient, ProvisionedConcurrencyConfigNotFoundException, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { DEFAULT_RETRY } from "../../../release/aws/call";
import { CloudWatchPort } from "../../../release/aws/cloudwatch";
import { LambdaPort } from "../../../release/aws/lambda";
import { S3Port } from "../../../release/aws/s3";
import { STATUS_EXIT, STATUS_EXIT_HELP, statusMain, type StatusIo } from "../../../release/cli/status";
import { awsError, FakeClock, PROD_NOW, T0 } from "../harness";

// mockClient(Class) replaces `send` on the class's prototype, for every client of that class in
// the whole mocha process, until restore(): created in before() and restored in after(), so the
// stubs exist only while these tests run (tests/sdk-mocks.test.ts checks every file does so).
let lambda: AwsClientStub<LambdaClient>;
let cloudwatch: AwsClientStub<CloudWatchClient>;

function io(): StatusIo & { out: () => string; err: () => string; clock: FakeClock } {
  let out = "";
  let err = "";
  const clock = new FakeClock();
  return {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    env: {},
    clock,
    runPulumi: () => undefined,
    createPorts: (region, c, onRetry) => {
      const ctx = { clock: c, retry: DEFAULT_RETRY, onRetry };
      return { lambda: new LambdaPort(new LambdaClient({ region }), ctx), cloudwatch: new CloudWatchPort(new CloudWatchClient({ region }), ctx), s3: new S3Port(new S3Client({ region }), ctx) };
    },
    out: () => out,
    err: () => err,
  };
}

const noPc = () => new ProvisionedConcurrencyConfigNotFoundException({ message: "No Provisioned Concurrency Config found for this function", $metadata: {} });

/** GetMetricData answering per version (by the Version dimension) and statistic. */
function metrics(per: Record<string, { requests: number; serverErrors: number; p50: number; p99: number }>) {
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const version = q.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === "Version")?.Value ?? "";
      const f = per[version];
      const name = q.MetricStat?.Metric?.MetricName;
      const stat = q.MetricStat?.Stat;
      const value = f === undefined ? undefined : name === "Requests" ? f.requests : name === "ServerErrors" ? f.serverErrors : stat === "p50" ? f.p50 : f.p99;
      return { Id: q.Id, StatusCode: "Complete", Values: value === undefined ? [] : [value] };
    }),
  }));
}

describe("status", () => {
  before(() => {
    lambda = mockClient(LambdaClient);
    cloudwatch = mockClient(CloudWatchClient);
  });
  after(() => {
    lambda.restore();
    cloudwatch.restore();
  });
  beforeEach(() => {
    lambda.reset();
    cloudwatch.reset();
    lambda.on(GetProvisionedConcurrencyConfigCommand).rejects(noPc());
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: "shiftline-prod-api-live-errors", StateValue: "OK" }] });
    metrics({});
  });

  it("reports a split mid-release as an unfinished release, with what --resume and --abort would do, and each version's figures", async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: "41", RoutingConfig: { AdditionalVersionWeights: { "42": 0.1 } }, RevisionId: "rev-7" });
    metrics({ "41": { requests: 900, serverErrors: 3, p50: 12, p99: 80 }, "42": { requests: 100, serverErrors: 2, p50: 14, p99: 95 } });
    const h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW, "--json"], h), STATUS_EXIT.split, h.err());
    const v = JSON.parse(h.out()) as Record<string, unknown> & { weights: unknown[]; figures: { versions: unknown[]; since: string; until: string } };
    assert.equal(v.split, "unfinished-release");
    assert.equal(v.primary, "41");
    assert.equal(v.revisionId, "rev-7");
    assert.deepEqual(v.weights, [
      { version: "41", percent: 90 },
      { version: "42", percent: 10 },
    ]);
    assert.equal(v.latestVersion, "42");
    assert.equal(v.latestReleased, false);
    assert.match(String(v.resume), /continues the release of version 42 from 10%/);
    assert.match(String(v.abort), /wholly on version 41/);
    assert.deepEqual(v.figures.versions, [
      { version: "41", requests: 900, serverErrors: 3, p50Ms: 12, p99Ms: 80 },
      { version: "42", requests: 100, serverErrors: 2, p50Ms: 14, p99Ms: 95 },
    ]);
    // Last 15 whole minutes before the (fake) now.
    assert.equal(v.figures.until, new Date(Math.floor(T0 / 60_000) * 60_000).toISOString());
    assert.equal(Date.parse(v.figures.until) - Date.parse(v.figures.since), 15 * 60_000);
    const q = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries ?? [];
    assert.deepEqual(
      q.find((x) => x.Id === "v1Requests")?.MetricStat?.Metric?.Dimensions,
      [
        { Name: "service", Value: "shiftline" },
        { Name: "FunctionName", Value: "shiftline-prod-api" },
        { Name: "Alias", Value: "live" },
        { Name: "Version", Value: "42" },
      ],
    );
    assert.equal(lambda.commandCalls(UpdateAliasCommand).length, 0, "status changes nothing");
    // The human lines went to stderr with --json.
    assert.match(h.err(), /version 42\s+requests\s+100\s+5xx\s+2 \(2\.00%\)\s+p50 14 ms\s+p99 95 ms/);
  });

  it("tells a split towards a version other than the stack's latest: --resume needs --to-version", async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: "40", RoutingConfig: { AdditionalVersionWeights: { "41": 0.25 } }, RevisionId: "r" });
    const h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW], h), STATUS_EXIT.split);
    assert.match(h.out(), /release --resume stops with a conflict \(exit 4\) unless given --to-version 41/);
    assert.match(h.out(), /release --abort puts the alias wholly on version 40/);
  });

  it("in artifact mode needs no --to-version, and says --resume would need one", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "status-"));
    const file = path.join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(PROD_NOW, "utf8")) as object), codeDeployment: "release" }));
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: "41", RoutingConfig: { AdditionalVersionWeights: { "42": 0.1 } }, RevisionId: "r" });
    const h = io();
    assert.equal(await statusMain(["--outputs", file], h), STATUS_EXIT.split, h.err());
    assert.match(h.out(), /release --resume with --to-version 42, continues the release of version 42 from 10% \(artifact mode has no default target\)/);
    assert.match(h.out(), /note: artifact mode/);
  });

  it("shows Lambda's own transition weight on a provisioned alias as such, with the allocation", async () => {
    // After an UpdateAlias to 42 on an alias with provisioned concurrency, Lambda keeps 41 at 1.0 while it allocates (release/engine/provisioned.ts).
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: "42", RoutingConfig: { AdditionalVersionWeights: { "41": 1 } }, RevisionId: "r2" });
    lambda.on(GetProvisionedConcurrencyConfigCommand, { Qualifier: "live" }).resolves({ Status: "IN_PROGRESS", RequestedProvisionedConcurrentExecutions: 10, AllocatedProvisionedConcurrentExecutions: 4 });
    const h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW, "--json"], h), STATUS_EXIT.split);
    const v = JSON.parse(h.out()) as { split: string; weights: unknown[]; provisioned: Array<{ qualifier: string; config?: { status: string } }>; notes: string[]; resume: string };
    assert.equal(v.split, "provisioned-transition");
    assert.deepEqual(v.weights, [
      { version: "42", percent: 0 },
      { version: "41", percent: 100 },
    ]);
    assert.equal(v.provisioned.find((p) => p.qualifier === "live")?.config?.status, "IN_PROGRESS");
    assert.deepEqual(
      v.provisioned.map((p) => p.qualifier),
      ["live", "42", "41"],
    );
    assert.ok(v.notes.some((n) => /Lambda's own transition weight/.test(n) && /4\/10/.test(n)), v.notes.join("; "));
    assert.match(v.resume, /waits .* for Lambda to finish allocating/);
  });

  it("lists a 0.0 weight as 0% without calling the alias split, and reads no figures for it", async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: "42", RoutingConfig: { AdditionalVersionWeights: { "43": 0 } }, RevisionId: "r3" });
    const h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW, "--json"], h), STATUS_EXIT.ok);
    const v = JSON.parse(h.out()) as { split: string; weights: unknown[]; abort: string; latestReleased: boolean; figures: { versions: Array<{ version: string }> } };
    assert.equal(v.split, "zero-weight");
    assert.deepEqual(v.weights, [
      { version: "42", percent: 100 },
      { version: "43", percent: 0, awsWeight: 0 },
    ]);
    assert.match(v.abort, /clears the weight 0 on version 43/);
    assert.equal(v.latestReleased, true);
    assert.deepEqual(
      v.figures.versions.map((f) => f.version),
      ["42"],
    );
  });

  it("says the stack's latest version is released when the alias is wholly on it, and shows each alarm", async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: "42", RevisionId: "r4" });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: "shiftline-prod-api-live-errors", StateValue: "ALARM" }] });
    const h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW], h), STATUS_EXIT.ok);
    assert.match(h.out(), /stack's latest version: 42, released/);
    assert.match(h.out(), /unfinished release: no/);
    assert.match(h.out(), /alarm shiftline-prod-api-live-errors: ALARM/);
    assert.match(h.out(), /provisioned concurrency on alias live: none/);
  });

  it("retries throttled reads with backoff on the injected clock", async () => {
    lambda
      .on(GetAliasCommand)
      .rejectsOnce(awsError("TooManyRequestsException", "Rate exceeded", 429))
      .rejectsOnce(awsError("TooManyRequestsException", "Rate exceeded", 429))
      .resolves({ FunctionVersion: "42", RevisionId: "r5" });
    cloudwatch.on(DescribeAlarmsCommand).rejectsOnce(awsError("Throttling", "Rate exceeded")).resolves({ MetricAlarms: [] });
    const h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW], h), STATUS_EXIT.ok, h.err());
    assert.equal(lambda.commandCalls(GetAliasCommand).length, 3);
    assert.match(h.out(), /throttled: GetAliasCommand attempt 1/);
    assert.match(h.out(), /throttled: DescribeAlarmsCommand attempt 1/);
    assert.ok(h.clock.slept > 0, "waited on the fake clock");
  });

  it("exits 3 when the alias does not exist, 5 on access denied, 2 on bad input", async () => {
    lambda.on(GetAliasCommand).rejects(awsError("ResourceNotFoundException", "Alias not found", 404));
    let h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW], h), STATUS_EXIT.noAlias);
    lambda.on(GetAliasCommand).rejects(awsError("AccessDeniedException", "User: x is not authorized to perform: lambda:GetAlias on resource: arn:aws:lambda:eu-west-1:1:function:f:live", 403));
    h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW], h), STATUS_EXIT.awsError);
    assert.match(h.err(), /needs the IAM action lambda:GetAlias/);
    h = io();
    assert.equal(await statusMain(["--outputs", PROD_NOW, "--minutes", "0"], h), STATUS_EXIT.badInput);
    assert.match(h.err(), /--minutes = "0": must be a whole number of minutes from 1 to 180/);
    h = io();
    assert.equal(await statusMain(["--function", "f"], h), STATUS_EXIT.badInput);
    assert.match(h.err(), /--region/);
  });

  it("refuses an empty --function, --alias or --region before any AWS call, and names only flags status has (review)", async () => {
    lambda.on(GetAliasCommand).rejects(new Error("no AWS call may be made"));
    for (const [argv, message] of [
      [["--function", "", "--alias", "live", "--region", "eu-west-1"], /--function = "": must not be empty/],
      [["--function", "f", "--alias", " ", "--region", "eu-west-1"], /--alias = " ": must not be empty/],
      [["--function", "f", "--alias", "live", "--region", ""], /--region = "": must not be empty/],
    ] as Array<[string[], RegExp]>) {
      const h = io();
      assert.equal(await statusMain(argv, h), STATUS_EXIT.badInput, argv.join(" "));
      assert.match(h.err(), message);
    }
    assert.equal(lambda.commandCalls(GetAliasCommand).length, 0);
    // status has no --to-version, and shows the alias rather than releasing it.
    const h = io();
    assert.equal(await statusMain([], h), STATUS_EXIT.badInput);
    assert.doesNotMatch(h.err(), /--to-version|alias to release/);
    const f = io();
    assert.equal(await statusMain(["--function", "f", "--region", "eu-west-1"], f), STATUS_EXIT.badInput);
    assert.match(f.err(), /--alias = \(missing\): pass the alias, e\.g\. --alias live/);
  });
});

describe("README status section", () => {
  it("documents the same exit codes as --help prints, and --help prints them", async () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("<!-- section:status -->"), readme.indexOf("<!-- /section:status -->"));
    const documented = [...section.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
    assert.deepEqual(documented, STATUS_EXIT_HELP.map(([c]) => c));
    const h = io();
    assert.equal(await statusMain(["--help"], h), 0);
    for (const [code, text] of STATUS_EXIT_HELP) assert.ok(h.out().includes(`${String(code).padStart(3)}  ${text}`), text);
  });
});
