/**
 * prune's optional grant (prunePolicy in release/aws/actions.ts) under the same IAM policy
 * evaluator as the DeployerRole (deployer-simulation.test.ts, which also checks that the deployer
 * role is denied every deletion): it allows what prune sends, with the s3:prefix condition and
 * the version-only DeleteFunction, and nothing that would delete the function, an alias or
 * another function's versions.
 */
import assert from "node:assert/strict";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { prunePolicy } from "../../release/aws/actions";

const ACCOUNT = "123456789012";
const FN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:shiftline-prod-api`;
const BUCKET = "shiftline-prod-artifacts";
const policy = prunePolicy({ functionArn: FN, artifactBucket: BUCKET, artifactKeyPrefix: "functions/api/" });

async function decide(action: string, resource: string, context: Record<string, string> = {}): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/shiftline-prune/ops`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { "aws:PrincipalAccount": ACCOUNT, "aws:SecureTransport": "true", "aws:RequestedRegion": "eu-west-1", ...context },
      },
      identityPolicies: [{ name: "prune", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: "Strict" },
  );
  if (result.resultType === "error") assert.fail(`${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe("prune's optional grant under an IAM policy evaluator", function () {
  this.timeout(30_000);

  const allowed: Array<[string, string, Record<string, string>?]> = [
    ["lambda:ListAliases", FN],
    ["lambda:ListVersionsByFunction", FN],
    ["lambda:DeleteFunction", `${FN}:7`],
    ["lambda:DeleteFunction", `${FN}:42`],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": "functions/api/" }],
    ["s3:DeleteObject", `arn:aws:s3:::${BUCKET}/functions/api/${"a".repeat(64)}.zip`],
    // Which versions an alias ran lately; GetMetricData has no resource type (Service Authorization Reference), "*" only.
    ["cloudwatch:GetMetricData", "*"],
  ];
  for (const [action, resource, context] of allowed) {
    it(`allows ${action} on ${resource.split(":").slice(-2).join(":")}`, async () => assert.equal(await decide(action, resource, context), "Allowed"));
  }

  const denied: Array<[string, string, string, Record<string, string>?]> = [
    ["lambda:DeleteFunction", FN, "the unqualified ARN deletes the whole function"],
    ["lambda:DeleteFunction", `${FN}:live`, "an alias"],
    ["lambda:DeleteFunction", `${FN}:$LATEST`, "$LATEST"],
    ["lambda:DeleteFunction", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:payments:7`, "another function's version"],
    ["lambda:DeleteAlias", `${FN}:live`, "aliases belong to pulumi up"],
    ["lambda:UpdateAlias", `${FN}:live`, "prune moves no traffic"],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`, "listing outside the prefix", { "s3:prefix": "" }],
    ["s3:DeleteObject", `arn:aws:s3:::${BUCKET}/functions/worker/x.zip`, "another function's artifacts"],
    ["s3:DeleteObjectVersion", `arn:aws:s3:::${BUCKET}/functions/api/x.zip`, "the data itself: the lifecycle rule expires it"],
  ];
  for (const [action, resource, why, context] of denied) {
    it(`denies ${action} on ${resource.split(":").slice(-2).join(":")} (${why})`, async () => assert.notEqual(await decide(action, resource, context), "Allowed"));
  }
});
