/**
 * The package upload of a new stack, against S3 as its documentation describes the first minutes
 * after versioning is enabled: PUTs that store an unversioned object (VersionId "null") and GETs
 * of new objects that answer 404 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/manage-versioning-examples.html).
 * S3 is aws-sdk-client-mock; time is an injected clock, or fake timers for the SDK's own waiter.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import FakeTimers from "@sinonjs/fake-timers";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { DEFAULT_UPLOAD_DEADLINE_MS, requireRealObjectVersion, sdkVersionReadable, uploadVersionedArtifact, type UploadClock, type VersionReadableWaiter } from "../../components/artifact-upload";
import { versionedArtifactFailures, versionedArtifactProvider, type VersionedArtifactInputs } from "../../components/versioned-artifact";
import { REPO_ROOT } from "./program";

// Created per describe in before() and restored in after(): mockClient(S3Client) patches the
// prototype, so every S3Client in the mocha process would answer from it (tests/sdk-mocks.test.ts).
let s3: AwsClientStub<S3Client>;
const mockS3 = () => {
  before(() => (s3 = mockClient(S3Client)));
  after(() => s3.restore());
};
const ZIP = Buffer.from("PK\u0003\u0004 a package");
const SHA = createHash("sha256").update(ZIP).digest("base64");
const dir = mkdtempSync(join(tmpdir(), "shiftline-upload-"));
const FILE = join(dir, "api.zip");
writeFileSync(FILE, ZIP);
const REQ = { bucket: "artifacts", key: "functions/api/abc.zip", file: FILE, sha256Base64: SHA };
const REAL = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";

/** A clock whose sleeps return at once after moving time on. */
class FakeClock implements UploadClock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

const notFound = () => new S3ServiceException({ name: "NotFound", $fault: "client", $metadata: { httpStatusCode: 404 }, message: "Not Found" });

describe("uploading a package into a bucket whose versioning was just enabled", () => {
  mockS3();
  beforeEach(() => s3.reset());

  it("uploads again while S3 answers without a version ('null', then none), and returns the real one", async () => {
    s3.on(PutObjectCommand).resolvesOnce({ VersionId: "null" }).resolvesOnce({}).resolves({ VersionId: REAL });
    const clock = new FakeClock();
    const lines: string[] = [];
    const waited: unknown[] = [];
    const waitReadable: VersionReadableWaiter = async (_c, object, maxWaitSeconds) => void waited.push({ object, maxWaitSeconds });
    const version = await uploadVersionedArtifact(new S3Client({ region: "eu-west-1" }), REQ, { clock, log: (l) => lines.push(l), waitReadable });
    assert.equal(version, REAL);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    assert.equal(puts.length, 3);
    for (const put of puts) {
      assert.deepEqual([put.Bucket, put.Key, put.ChecksumSHA256, put.ContentType], ["artifacts", "functions/api/abc.zip", SHA, "application/zip"]);
      assert.deepEqual(Buffer.from(put.Body as Uint8Array), ZIP);
    }
    assert.deepEqual(clock.sleeps, [15_000, 15_000]);
    assert.match(lines[0], /upload 1 came back without a version id \(VersionId "null"\).*up to 15 minutes.*uploading again in 15 s \(0 s of 900 s used\)/);
    assert.match(lines[1], /upload 2 came back without a version id \(VersionId null\)/);
    assert.deepEqual(waited, [{ object: { Bucket: "artifacts", Key: "functions/api/abc.zip", VersionId: REAL }, maxWaitSeconds: 870 }]);
  });

  it("gives up within 15 minutes when every upload stays unversioned, naming the object, the cause and the fix", async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: "null" });
    const clock = new FakeClock();
    const start = clock.now();
    await assert.rejects(
      uploadVersionedArtifact(new S3Client({ region: "eu-west-1" }), REQ, { clock, waitReadable: async () => assert.fail("never readable-checked") }),
      /^Error: s3:\/\/artifacts\/functions\/api\/abc\.zip: after 61 uploads over 900 s S3 still stores the package without a version id \(VersionId "null"\)\. .*up to 15 minutes .*get-bucket-versioning.*run pulumi up again/,
    );
    assert.ok(clock.now() - start <= DEFAULT_UPLOAD_DEADLINE_MS);
  });

  it("waits with the SDK's waitUntilObjectExists for the very version: 404 while versioning propagates, then served", async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: REAL });
    s3.on(HeadObjectCommand).rejectsOnce(notFound()).rejectsOnce(notFound()).resolves({ VersionId: REAL });
    const timers = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const upload = uploadVersionedArtifact(new S3Client({ region: "eu-west-1" }), REQ, { clock: new FakeClock(), waitReadable: sdkVersionReadable });
      await timers.runAllAsync();
      assert.equal(await upload, REAL);
    } finally {
      timers.uninstall();
    }
    const heads = s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input);
    assert.equal(heads.length, 3);
    for (const head of heads) assert.deepEqual(head, { Bucket: "artifacts", Key: "functions/api/abc.zip", VersionId: REAL });
  });

  it("reports a version S3 never serves within the deadline, with the fix", async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: REAL });
    s3.on(HeadObjectCommand).rejects(notFound());
    const timers = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const upload = uploadVersionedArtifact(new S3Client({ region: "eu-west-1" }), REQ, { clock: new FakeClock(), deadlineMs: 120_000, waitReadable: sdkVersionReadable });
      const outcome = assert.rejects(upload, /^Error: s3:\/\/artifacts\/functions\/api\/abc\.zip: version 3HL4.* was stored but S3 did not serve it within 120 s \(TimeoutError: .*\).*Run pulumi up again/);
      await timers.runAllAsync();
      await outcome;
    } finally {
      timers.uninstall();
    }
  });

  it("refuses a zip whose bytes are not the ones the manifest records, before uploading", async () => {
    await assert.rejects(uploadVersionedArtifact(new S3Client({ region: "eu-west-1" }), { ...REQ, sha256Base64: "A".repeat(43) + "=" }), /^Error: file = .*api\.zip: its sha256 is .*, not the A{43}= the build manifest records; rebuild/);
    assert.equal(s3.commandCalls(PutObjectCommand).length, 0);
  });

  const versions: Array<[string, unknown]> = [["the unversioned null", "null"], ["an empty id", ""], ["blanks", "  "], ["no id at all", undefined]];
  for (const [name, value] of versions) {
    it(`never hands the function ${name} as s3ObjectVersion`, () => {
      assert.throws(() => requireRealObjectVersion(value, "s3://b/k"), /^Error: s3ObjectVersion = .* for s3:\/\/b\/k: the function's code must name a real S3 object version .*run pulumi up again/);
    });
  }
  it("accepts a real object version", () => assert.equal(requireRealObjectVersion(REAL, "s3://b/k"), REAL));
});

describe("the upload's dynamic provider", () => {
  mockS3();
  beforeEach(() => s3.reset());
  const inputs: VersionedArtifactInputs = { ...REQ, region: "eu-west-1" };

  it("checks its inputs, naming each bad property and the fix", () => {
    const failures = versionedArtifactFailures({ bucket: "", key: "k", file: "f", region: "eu-west-1", sha256Base64: "abc" });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["bucket", "sha256Base64"],
    );
    assert.match(failures[1].reason, /^sha256Base64 = "abc": must be the base64 SHA-256 of the zip/);
  });

  it("replaces only for another bucket, key or hash; a moved zip file is the same object", async () => {
    const diff = versionedArtifactProvider.diff as NonNullable<typeof versionedArtifactProvider.diff>;
    assert.deepEqual(await diff("id", { ...inputs }, { ...inputs, file: "/elsewhere/api.zip" }), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await diff("id", { ...inputs }, { ...inputs, key: "functions/api/def.zip", sha256Base64: "B".repeat(43) + "=" }), { changes: true, replaces: ["key", "sha256Base64"], deleteBeforeReplace: false });
  });

  it("still works once serialised the way pulumi up runs it, uploading and returning the version", async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: REAL });
    s3.on(HeadObjectCommand).resolves({ VersionId: REAL });
    // What pulumi.dynamic.Resource stores as __provider, loaded as the dynamic provider host
    // does (@pulumi/pulumi cmd/dynamic-provider: requireFromString(text).handler()).
    const { text } = await pulumi.runtime.serializeFunction(() => versionedArtifactProvider, { allowSecrets: true });
    const host = new Module(join(REPO_ROOT, "__provider.js"));
    host.filename = join(REPO_ROOT, "__provider.js");
    host.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(REPO_ROOT);
    (host as unknown as { _compile(code: string, file: string): void })._compile(text, host.filename);
    const provider = (host.exports as { handler(): typeof versionedArtifactProvider }).handler();
    const logged: unknown[] = [];
    const stderr = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.join(" "));
    const created = await (provider.create as NonNullable<typeof provider.create>)(inputs).finally(() => (console.error = stderr));
    assert.match(String(logged[0]), /stored as version 3HL4.*waiting up to 900 s until S3 serves it/);
    assert.equal(created.outs?.versionId, REAL);
    assert.equal(created.id, `s3://artifacts/functions/api/abc.zip?versionId=${REAL}`);
    assert.equal(s3.commandCalls(PutObjectCommand).length, 1);
    assert.deepEqual(s3.commandCalls(HeadObjectCommand)[0].args[0].input, { Bucket: "artifacts", Key: "functions/api/abc.zip", VersionId: REAL });
  });
});
