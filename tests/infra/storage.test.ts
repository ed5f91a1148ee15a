import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../../lib/validation";
import { ArtifactBucket, resolveArtifactBucketArgs, type ArtifactBucketArgs } from "../../components/artifact-bucket";
import { ServiceTables, resolveServiceTablesArgs } from "../../components/service-tables";
import type { FunctionPackage } from "../../components/build-manifest";
import { TABLES } from "../../lambda-src/tables";
import { MockCloud, evaluate, ofType, type CapturedResource } from "./mocks";
import { parsePolicy } from "./policy-reading";
import { problemsOf } from "../helpers/problems";

const SHA = "a".repeat(64);
const UPLOAD = "pulumi-nodejs:dynamic/shiftline:VersionedArtifact";
const pkg = (over: Partial<FunctionPackage> = {}): FunctionPackage => ({
  name: "api",
  file: "/tmp/api.zip",
  sha256: SHA,
  sha256Base64: "q".repeat(43) + "=",
  size: 100,
  key: `functions/api/${SHA}.zip`,
  ...over,
});

const problems = (fn: () => unknown): string[] => {
  return problemsOf(() => fn());
};

const one = (resources: readonly CapturedResource[], type: string): CapturedResource => {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, type);
  return found[0];
};

describe("ArtifactBucket", () => {
  const cases: Array<[string, ArtifactBucketArgs, RegExp]> = [
    ["no packages", { packages: [] }, /^packages = \[\]: at least one package is needed/],
    ["a function packaged twice", { packages: [pkg(), pkg()] }, /^packages = \["api","api"\]: each function may appear once/],
    ["a key outside the function's prefix", { packages: [pkg({ key: `functions/other/${SHA}.zip` })] }, /^packages\[0\]\.key = "functions\/other\/a+\.\.\.: must start with functions\/api\//],
    ["zero noncurrent days", { packages: [pkg()], noncurrentVersionExpirationDays: 0 }, /^noncurrentVersionExpirationDays = 0: must be a whole number of days, at least 1/],
  ];
  for (const [name, args, pattern] of cases) {
    it(`rejects ${name}, naming the field and rule`, () => {
      const found = problems(() => resolveArtifactBucketArgs(args));
      assert.ok(found.some((m) => pattern.test(m)), found.join("\n"));
    });
  }

  describe("resources", () => {
    let run: Awaited<ReturnType<typeof evaluate<{ versionId: unknown }>>>;
    before(async () => {
      run = await evaluate("test", {}, () => ({ versionId: new ArtifactBucket("artifacts", { packages: [pkg()], noncurrentVersionExpirationDays: 12 }).objects.api.versionId }));
    });

    it("versions, encrypts and fully blocks public access to the bucket, with ACLs off", () => {
      assert.deepEqual(one(run.resources, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration, { status: "Enabled" });
      const sse = one(run.resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
      assert.deepEqual(sse.inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }]);
      const block = one(run.resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
      assert.deepEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
      assert.deepEqual(one(run.resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
    });

    it("denies every request without TLS or with TLS older than 1.2, on the bucket and its objects", () => {
      const doc = parsePolicy(one(run.resources, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
      assert.deepEqual(
        doc.Statement.map((s) => s.Condition),
        [{ Bool: { "aws:SecureTransport": "false" } }, { NumericLessThan: { "s3:TlsVersion": "1.2" } }],
      );
      for (const deny of doc.Statement) {
        assert.equal(deny.Effect, "Deny");
        assert.equal(deny.Principal, "*");
        assert.deepEqual(deny.Resource, ["arn:aws:s3:::artifacts-bucket", "arn:aws:s3:::artifacts-bucket/*"]);
      }
    });

    it("expires only noncurrent versions of artifacts, never the current package", () => {
      const rules = one(run.resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Array<Record<string, unknown>>;
      assert.deepEqual(rules, [
        {
          id: "expire-noncurrent-artifacts",
          status: "Enabled",
          filter: { prefix: "functions/" },
          noncurrentVersionExpiration: { noncurrentDays: 12 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ]);
    });

    it("keeps a replaced package in the bucket instead of deleting every version of its key", () => {
      assert.equal(one(run.resources, UPLOAD).retainOnDelete, true);
    });

    it("writes the bucket's settings one after another, never two at once", () => {
      const order = [
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      ];
      for (const [i, type] of order.entries()) {
        if (i === 0) continue;
        assert.deepEqual(one(run.resources, type).dependsOn.map((d) => d.type), [order[i - 1]], `${type} does not wait for ${order[i - 1]}`);
      }
    });

    it("uploads the zip under its content address with the SDK (retrying until S3 versions it), after versioning is on, and exposes the version id", async () => {
      const object = one(run.resources, UPLOAD);
      assert.equal(object.inputs.key, `functions/api/${SHA}.zip`);
      assert.deepEqual([object.inputs.file, object.inputs.sha256Base64, object.inputs.region], ["/tmp/api.zip", "q".repeat(43) + "=", "eu-west-1"]);
      assert.match(String(object.inputs.__provider), /uploadVersionedArtifact/, "the upload resource does not carry the retrying upload");
      assert.equal(ofType(run.resources, "aws:s3/bucketObjectv2:BucketObjectv2").length, 0, "a BucketObjectv2 would record S3's first answer, version null included");
      const waitsFor = await run.cloud.dependenciesOf(object.props.bucket);
      assert.ok(waitsFor.some((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning"), "the upload does not wait for versioning");
      assert.equal(run.value.versionId, `version-of-${object.name}`);
    });

    it("parents every child by the component", () => {
      for (const r of run.resources.filter((x) => x.custom)) assert.deepEqual(r.parent, { type: "shiftline:storage:ArtifactBucket", name: "artifacts" }, r.name);
    });
  });
});

describe("ServiceTables", () => {
  it("rejects a table without a hash key or with a lower-case variable, naming both", () => {
    const found = problems(() => resolveServiceTablesArgs({ tables: { todos: { hashKey: "", env: "todos_table" } } }));
    assert.ok(found.some((m) => /^tables\.todos\.hashKey = "": must name the partition key/.test(m)), found.join("\n"));
    assert.ok(found.some((m) => /^tables\.todos\.env = "todos_table": must be an UPPER_SNAKE/.test(m)), found.join("\n"));
  });

  it("registers nothing, not even itself, when its arguments are invalid", async () => {
    const cloud = new MockCloud();
    await pulumi.runtime.setMocks(cloud.mocks, "shiftline", "test", false);
    assert.throws(() => new ServiceTables("tables", { tables: {} }, { transformations: [cloud.transformation] }), ValidationError);
    assert.deepEqual(await cloud.settle(), []);
  });

  for (const protect of [true, false]) {
    it(`creates on-demand encrypted tables with PITR, deletion protection and protect all ${protect ? "on" : "off"}`, async () => {
      const run = await evaluate("test", {}, () => ({ names: new ServiceTables("tables", { tables: TABLES, protect }).tableNames }));
      const tables = ofType(run.resources, "aws:dynamodb/table:Table");
      assert.deepEqual(tables.map((t) => t.inputs.hashKey).sort(), Object.values(TABLES).map((t) => t.hashKey).sort());
      for (const t of tables) {
        assert.equal(t.inputs.billingMode, "PAY_PER_REQUEST");
        assert.deepEqual(t.inputs.serverSideEncryption, { enabled: true });
        assert.deepEqual(t.inputs.pointInTimeRecovery, { enabled: protect });
        assert.equal(t.inputs.deletionProtectionEnabled, protect);
        assert.equal(t.protect, protect);
        assert.equal(t.parent?.type, "shiftline:data:ServiceTables");
      }
      assert.deepEqual(Object.keys(run.value.names), Object.keys(TABLES));
    });
  }

  it("turns DynamoDB TTL on for the todos table's expiresAt, which only release smoke items carry, and on no other table", async () => {
    const run = await evaluate("test", {}, () => ({ names: new ServiceTables("tables", { tables: TABLES }).tableNames }));
    const byHashKey = Object.fromEntries(ofType(run.resources, "aws:dynamodb/table:Table").map((t) => [t.inputs.hashKey, t.inputs.ttl]));
    // The attribute name is written out: the handler (lambda-src/store.ts) writes this exact name.
    assert.deepEqual(byHashKey, { todoId: { attributeName: "expiresAt", enabled: true }, name: undefined });
  });
});
