import assert from "node:assert/strict";
import { ApiGatewayAccount } from "../../components/api-gateway-account";
import { problemsOf } from "../helpers/problems";
import { evaluate, ofType } from "./mocks";
import { parsePolicy } from "./policy-reading";

describe("ApiGatewayAccount", () => {
  let run: Awaited<ReturnType<typeof evaluate<{ arn: unknown }>>>;
  before(async () => {
    run = await evaluate("test", {}, () => ({ arn: new ApiGatewayAccount("account", { region: "eu-west-1" }).cloudwatchRoleArn }));
  });

  it("gives API Gateway a CloudWatch role whose inline policy is granted before the setting", () => {
    const [role] = ofType(run.resources, "aws:iam/role:Role");
    assert.match(String(role.inputs.assumeRolePolicy), /apigateway\.amazonaws\.com/);
    const [account] = ofType(run.resources, "aws:apigateway/account:Account");
    assert.equal(account.inputs.cloudwatchRoleArn, run.value.arn);
    assert.deepEqual(account.dependsOn.map((d) => d.type), ["aws:iam/rolePolicy:RolePolicy"]);
    for (const r of run.resources.filter((x) => x.custom)) assert.equal(r.parent?.type, "shiftline:api:ApiGatewayAccount");
  });

  it("lets the role write logs only to this account's log groups in its region, with no managed policy", () => {
    assert.equal(ofType(run.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
    const [policy] = ofType(run.resources, "aws:iam/rolePolicy:RolePolicy");
    const [statement, ...rest] = parsePolicy(policy.inputs.policy).Statement;
    assert.equal(rest.length, 0);
    assert.deepEqual(statement.Resource, ["arn:aws:logs:eu-west-1:123456789012:log-group:*", "arn:aws:logs:eu-west-1:123456789012:log-group:*:log-stream:*"]);
    assert.deepEqual([statement.Action].flat().sort(), [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:PutLogEvents",
    ]);
  });

  it("keeps the role, its policy and the setting when the owning stack is destroyed, since other stacks log through them", () => {
    const custom = run.resources.filter((x) => x.custom);
    assert.deepEqual(custom.map((r) => r.type).sort(), ["aws:apigateway/account:Account", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"]);
    for (const r of custom) assert.equal(r.retainOnDelete, true, `${r.type} is not retained on delete`);
  });

  it("rejects a region that is not an AWS region, naming the field and rule", () => {
    assert.deepEqual(problemsOf(() => new ApiGatewayAccount("account", { region: "Europe" })), ['region = "Europe": must be an AWS region such as eu-west-1.']);
  });
});
