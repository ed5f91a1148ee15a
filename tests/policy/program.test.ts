/**
 * The policy pack against what the program registers for each stack, under the existing mocks
 * (tests/infra/program.ts): no mandatory policy is violated, and every policy really looked at
 * the resources it guards, so a pass is not a pass over nothing.
 */
import assert from "node:assert/strict";
import { evaluateProgram, readStackConfig, STACKS, type StackName } from "../infra/program";
import { policies } from "../../policy/pack";
import { fromProgram, mandatory, ofPolicy, runPack, type FakeResource } from "./harness";

const registered = new Map<StackName, FakeResource[]>();

describe("the policy pack on the program's stacks", function () {
  this.timeout(120_000);

  before(async () => {
    for (const stack of STACKS) {
      const evaluation = await evaluateProgram(stack);
      const resources = await fromProgram(evaluation, stack, readStackConfig(stack));
      const names = resources.map((r) => r.name);
      assert.equal(new Set(names).size, names.length, "resource names are unique, so the harness can link parents and dependencies by name");
      registered.set(stack, resources);
    }
  });

  for (const stack of STACKS) {
    describe(`stack ${stack}`, () => {
      const resources = () => registered.get(stack) as FakeResource[];
      const count = (type: string) => resources().filter((r) => r.type === type).length;

      it("registers what every policy guards (aliases, permissions, IAM policies, the bucket and its settings, tables, log groups)", () => {
        assert.ok(count("aws:lambda/alias:Alias") >= 1);
        assert.ok(count("aws:lambda/permission:Permission") >= 1);
        assert.ok(count("aws:iam/rolePolicy:RolePolicy") >= 1);
        assert.equal(count("aws:s3/bucket:Bucket"), 1);
        assert.equal(count("aws:s3/bucketVersioning:BucketVersioning"), 1);
        assert.equal(count("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), 1);
        assert.equal(count("aws:s3/bucketPolicy:BucketPolicy"), 1);
        assert.ok(count("aws:dynamodb/table:Table") >= 1);
        assert.ok(count("aws:cloudwatch/logGroup:LogGroup") >= 1);
      });

      it("violates no mandatory policy", async () => {
        const violations = await runPack(resources(), stack);
        assert.deepEqual(mandatory(violations), []);
      });

      it("links the bucket's versioning, public access block and policy to it through their bucket property", async () => {
        // With the links removed, the stack policy sees a bucket with none of its settings.
        const unlinked = resources().map((r) => ("bucket" in r.props ? { ...r, propertyDependencies: {}, props: { ...r.props, bucket: "some-other-bucket" } } : r));
        const violations = ofPolicy(await runPack(unlinked, stack), "artifact-bucket-versioned-private-tls");
        assert.equal(violations.length, 3, violations.map((v) => v.message).join("\n"));
      });

      it("gives every log group a retention and every function a declared log group", async () => {
        assert.deepEqual(ofPolicy(await runPack(resources(), stack), "log-groups-have-retention"), []);
      });

      it("reports nothing else: every taggable resource gets the stack's tags from the program's own AWS provider (index.ts defaultTags)", async () => {
        assert.deepEqual(await runPack(resources(), stack), []);
      });
    });
  }

  it("runs one policy per invariant, each with a description and an enforcement level", () => {
    assert.deepEqual(
      policies.map((p) => [p.name, p.enforcementLevel]),
      [
        ["alias-traffic-owned-by-release", "mandatory"],
        ["lambda-permission-on-alias-scoped", "mandatory"],
        ["iam-no-wildcard-actions", "mandatory"],
        ["artifact-bucket-versioned-private-tls", "mandatory"],
        ["protected-stack-tables-keep-data", "mandatory"],
        ["log-groups-have-retention", "advisory"],
        ["stack-tags-on-taggable-resources", "advisory"],
      ],
    );
    for (const p of policies) assert.ok(p.description.length > 40, p.name);
  });
});
