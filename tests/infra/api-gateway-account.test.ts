import assert from "node:assert/strict";
import { ApiGatewayAccount } from "../../components/api-gateway-account";
import { problemsOf } from "../helpers/problems";
import { evaluate, MOCK_ACCOUNT, ofType } from "./mocks";
import { allows } from "./policy-matching";
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

  const logs = "arn:aws:logs:eu-west-1:123456789012:log-group:";
  const policy = () => parsePolicy(ofType(run.resources, "aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
  // What API Gateway does with the role: create and write its own execution log groups (named
  // by API id and stage), write each stage's access log group, and the welcome group it writes
  // when the role is saved. Nothing else: not the function's log group, not another region or account.
  const calls: Array<[string, string, boolean]> = [
    ["logs:CreateLogGroup", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod`, true],
    ["logs:CreateLogGroup", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod:*`, true],
    ["logs:CreateLogStream", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod:log-stream:0123abcd`, true],
    ["logs:PutLogEvents", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod:log-stream:0123abcd`, true],
    ["logs:DescribeLogStreams", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod:*`, true],
    ["logs:PutLogEvents", `${logs}API-Gateway-Access-Logs_shiftline-prod-http/prod:log-stream:0123abcd`, true],
    ["logs:CreateLogStream", `${logs}API-Gateway-Access-Logs_shiftline-staging-http/staging:log-stream:0123abcd`, true],
    ["logs:CreateLogGroup", `${logs}/aws/apigateway/welcome`, true],
    ["logs:PutLogEvents", `${logs}/aws/apigateway/welcome:log-stream:test`, true],
    ["logs:DescribeLogGroups", "*", true],
    ["logs:PutLogEvents", `${logs}/aws/lambda/shiftline-prod-api:log-stream:2026/12/01/[1]abc`, false],
    ["logs:CreateLogStream", `${logs}/aws/lambda/shiftline-prod-api:log-stream:x`, false],
    ["logs:GetLogEvents", `${logs}/aws/lambda/shiftline-prod-api:log-stream:x`, false],
    ["logs:FilterLogEvents", `${logs}/aws/lambda/shiftline-prod-api:*`, false],
    ["logs:DescribeLogStreams", `${logs}/aws/lambda/shiftline-prod-api:*`, false],
    ["logs:CreateLogGroup", `${logs}some-other-group`, false],
    ["logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/prod:log-stream:x", false],
    ["logs:PutLogEvents", "arn:aws:logs:eu-west-1:210987654321:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/prod:log-stream:x", false],
    ["logs:DeleteLogGroup", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod`, false],
    ["logs:PutRetentionPolicy", `${logs}API-Gateway-Execution-Logs_a1b2c3d4e5/prod`, false],
  ];
  for (const [action, resource, expected] of calls) {
    it(`${expected ? "allows" : "denies"} the role ${action} on ${resource.replace(logs, "…:log-group:")}`, () => {
      assert.equal(allows(policy(), action, resource), expected);
    });
  }

  it("grants every action of AmazonAPIGatewayPushToCloudWatchLogs, on API Gateway's own log groups, with no managed policy", () => {
    assert.equal(ofType(run.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
    // The managed policy's actions (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html).
    const managed = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"];
    const granted = policy().Statement.flatMap((st) => [st.Action ?? []].flat());
    assert.deepEqual([...granted].sort(), [...managed].sort());
    // Only the list action, which has no resource type, is on "*".
    for (const st of policy().Statement) {
      if ([st.Resource].flat().includes("*")) assert.deepEqual(st.Action, ["logs:DescribeLogGroups"]);
    }
  });

  it("lets API Gateway assume the role only on behalf of this account (aws:SourceAccount)", () => {
    const [role] = ofType(run.resources, "aws:iam/role:Role");
    const [statement, ...rest] = parsePolicy(role.inputs.assumeRolePolicy).Statement;
    assert.equal(rest.length, 0);
    assert.deepEqual(statement.Principal, { Service: "apigateway.amazonaws.com" });
    assert.equal(statement.Action, "sts:AssumeRole");
    assert.deepEqual(statement.Condition, { StringEqualsIfExists: { "aws:SourceAccount": MOCK_ACCOUNT } });
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
