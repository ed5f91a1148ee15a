import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LambdaClient, PublishVersionCommand, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { strToU8, zipSync } from "fflate";
import { sdkCodeUpdateWaiter } from "../../../release/aws/lambda";
import { main } from "../../../release/cli/release";
import { EXIT } from "../../../release/core/outcome";
import { awsError, harness, PROD, T0, type Harness } from "../harness";

const dir = mkdtempSync(path.join(tmpdir(), "shiftline-artifact-"));
const zipFile = path.join(dir, "api.zip");
writeFileSync(zipFile, zipSync({ "index.js": strToU8("exports.handler = async () => ({ statusCode: 200, body: '{}' });\n") }, { mtime: new Date("1980-01-01T00:00:00Z") }));
const zipSha = createHash("sha256").update(readFileSync(zipFile)).digest();

// The prod outputs with code deployed by the release step (codeDeployment: release).
const outputsFile = path.join(dir, "outputs.json");
writeFileSync(outputsFile, JSON.stringify({ ...JSON.parse(readFileSync(PROD, "utf8")), codeDeployment: "release" }));

const args = ["--outputs", outputsFile, "--artifact", zipFile, "--strategy", "all-at-once", "--code-update-timeout", "60"];
const count = (h: Harness, name: string) => h.sent().filter((n) => n === name).length;

describe("release run: artifact mode", () => {
  let h: Harness;
  beforeEach(() => (h = harness()));
  afterEach(() => h.restore());

  it("uploads content-addressed, updates the code pinned to the object version and RevisionId, publishes with CodeSha256, then releases it", async () => {
    const code = await main(args, h.io);
    assert.equal(code, EXIT.ok, h.out());
    const put = h.s3.commandCalls(PutObjectCommand)[0].args[0].input;
    assert.equal(put.Key, `functions/api/${zipSha.toString("hex")}.zip`);
    assert.equal(put.ChecksumSHA256, zipSha.toString("base64"));
    const update = h.lambda.commandCalls(UpdateFunctionCodeCommand)[0].args[0].input;
    assert.deepEqual(
      { bucket: update.S3Bucket, key: update.S3Key, version: update.S3ObjectVersion, revision: update.RevisionId },
      { bucket: "shiftline-prod-artifacts-7d1e0b9", key: put.Key, version: "s3-version-1", revision: "code-rev-1" },
    );
    const publish = h.lambda.commandCalls(PublishVersionCommand)[0].args[0].input;
    assert.equal(publish.CodeSha256, zipSha.toString("base64"));
    assert.equal(publish.RevisionId, "code-rev-2");
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "43", weights: {} });
  });

  it("skips the upload when the object is already there and uses its version", async () => {
    h.s3.on(HeadObjectCommand).resolves({ VersionId: "existing-version" });
    assert.equal(await main(args, h.io), EXIT.ok, h.out());
    assert.equal(count(h, "PutObject"), 0);
    assert.equal(h.lambda.commandCalls(UpdateFunctionCodeCommand)[0].args[0].input.S3ObjectVersion, "existing-version");
  });

  it("uploads when HEAD answers 403, which is how S3 reports a missing key to a role without s3:ListBucket", async () => {
    h.s3.on(HeadObjectCommand).rejects(awsError("Forbidden", "Forbidden", 403));
    assert.equal(await main(args, h.io), EXIT.ok, h.out());
    assert.equal(count(h, "PutObject"), 1);
  });

  it("a code update stuck InProgress times out within --code-update-timeout with no version published and no traffic moved (exit 3)", async () => {
    h.world.codeUpdate = { status: "InProgress" };
    const code = await main(args, h.io);
    assert.equal(code, EXIT.gateFailed);
    assert.match(h.out(), /still InProgress after 60s/);
    assert.ok(h.clock.now() - T0 <= 60_000, `gave up ${(h.clock.now() - T0) / 1000}s after the start, past the 60 s timeout`);
    assert.equal(count(h, "PublishVersion"), 0);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.ok(count(h, "GetFunction") > 1, "the SDK waiter polled more than once");
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "41", weights: {} });
  });

  it("SIGINT while waiting for the code update stops the waiter at once: no further GetFunction, nothing published (exit 130)", async () => {
    h.world.codeUpdate = { status: "InProgress" };
    let polledBeforeSignal = 0;
    h.clock.at(10, () => {
      polledBeforeSignal = count(h, "GetFunction");
      h.signals.emit("SIGINT");
    });
    assert.equal(await main([...args.slice(0, -1), "600"], h.io), EXIT.interrupted);
    assert.ok(polledBeforeSignal > 0);
    assert.equal(count(h, "GetFunction"), polledBeforeSignal);
    assert.ok(h.clock.now() - T0 < 20_000, "did not sleep out the poll delay after the signal");
    assert.equal(count(h, "PublishVersion"), 0);
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "41", weights: {} });
  });

  it("the SDK waiter adapter sends no GetFunction once interrupted", async () => {
    const interrupted = new AbortController();
    interrupted.abort("SIGINT");
    const client = new LambdaClient({ region: "eu-west-1" });
    await assert.rejects(sdkCodeUpdateWaiter(client, "fn", { maxWaitSeconds: 60, minDelaySeconds: 2, maxDelaySeconds: 20, abortSignal: interrupted.signal }), { name: "AbortError" });
    assert.equal(count(h, "GetFunction"), 0);
  });

  it("a failed code update reports LastUpdateStatusReason (exit 3)", async () => {
    h.world.codeUpdate = { status: "Failed", reason: "Unzipped size must be smaller than 262144000 bytes" };
    const code = await main(args, h.io);
    assert.equal(code, EXIT.gateFailed);
    assert.match(h.out(), /code update of .* failed: Unzipped size must be smaller/);
    assert.equal(count(h, "PublishVersion"), 0);
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "41", weights: {} });
  });

  it("PublishVersion returning an existing version that the alias wholly serves: nothing to release (exit 0)", async () => {
    h.world.publishReturnsExisting = true;
    h.world.alias.functionVersion = "42";
    const code = await main(args, h.io);
    assert.equal(code, EXIT.ok);
    assert.match(h.out(), /no new version was published: this code is already version 42/);
    assert.match(h.out(), /nothing to release: alias live already serves version 42/);
    assert.equal(count(h, "UpdateAlias"), 0);
    assert.deepEqual(h.world.alias.weights, {});
    assert.equal(h.world.alias.functionVersion, "42");
  });

  it("PublishVersion returning an existing version the alias does not serve releases that version (exit 0)", async () => {
    h.world.publishReturnsExisting = true;
    const code = await main(args, h.io);
    assert.equal(code, EXIT.ok, h.out());
    assert.match(h.out(), /no new version was published: this code is already version 42/);
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "42", weights: {} });
  });

  it("PublishVersion returning an existing version that an unfinished split is shifting to is not 'nothing to release': it asks for --resume or --abort (exit 4)", async () => {
    h.world.publishReturnsExisting = true;
    h.world.alias.weights = { "42": 10 };
    const code = await main(args, h.io);
    assert.equal(code, EXIT.conflict);
    assert.match(h.out(), /--resume to continue from 10%.*--abort/);
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "41", weights: { "42": 10 } });
    assert.equal(await main(["--outputs", outputsFile, "--abort"], h.io), EXIT.rolledBack);
    assert.deepEqual({ functionVersion: h.world.alias.functionVersion, weights: h.world.alias.weights }, { functionVersion: "41", weights: {} });
  });

  it("refuses artifact mode on a stack whose code pulumi deploys (exit 2)", async () => {
    assert.equal(await main(["--outputs", PROD, "--artifact", zipFile], h.io), EXIT.badInput);
    assert.match(h.err(), /codeDeployment: pulumi/);
    assert.deepEqual(h.sent(), []);
  });

  it("refuses a file that is not a zip (exit 2)", async () => {
    const notZip = path.join(dir, "not.zip");
    writeFileSync(notZip, "hello");
    assert.equal(await main(["--outputs", outputsFile, "--artifact", notZip], h.io), EXIT.badInput);
    assert.match(h.out(), /not a zip file/);
    assert.deepEqual(h.sent(), []);
  });
});
