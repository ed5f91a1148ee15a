import assert from "node:assert/strict";
import * as cloudwatch from "@aws-sdk/client-cloudwatch";
import * as lambda from "@aws-sdk/client-lambda";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as s3 from "@aws-sdk/client-s3";
import { COMMAND_PERMISSIONS, actionsFor, grantsFor, isCommandName, type ActionScope, type CommandName } from "../../../release/aws/actions";

// Which installed SDK client exports each command, and the IAM service prefix of that client.
const CLIENTS: ReadonlyArray<{ service: string; exports: Record<string, unknown> }> = [
  { service: "lambda", exports: lambda },
  { service: "s3", exports: s3 },
  { service: "cloudwatch", exports: cloudwatch },
  { service: "logs", exports: logs },
];
// Scopes are ARNs of one service each; "metrics" is the unscoped CloudWatch read.
const SCOPE_SERVICE: Record<ActionScope, string> = {
  function: "lambda",
  versions: "lambda",
  latest: "lambda",
  alias: "lambda",
  aliasQualifier: "lambda",
  artifacts: "s3",
  alarms: "cloudwatch",
  metrics: "cloudwatch",
  logGroup: "logs",
};

const commands = Object.keys(COMMAND_PERMISSIONS) as CommandName[];

describe("SDK command permission table", () => {
  for (const command of commands) {
    it(`${command} is a command of exactly one installed SDK client and its own actions belong to that service`, () => {
      const owners = CLIENTS.filter((c) => typeof c.exports[command] === "function");
      assert.equal(owners.length, 1, `${command} should be exported by exactly one of ${CLIENTS.map((c) => c.service).join(", ")}`);
      for (const action of COMMAND_PERMISSIONS[command].actions) assert.equal(action.split(":")[0], owners[0].service, action);
    });

    it(`${command} grants each action only on a scope of the action's own service, without wildcards`, () => {
      for (const grant of grantsFor(command)) {
        assert.ok(grant.actions.length > 0);
        for (const action of grant.actions) {
          assert.match(action, /^[a-z0-9]+:[A-Z][A-Za-z0-9]+$/, `${action} must be one exact IAM action`);
          assert.equal(action.split(":")[0], SCOPE_SERVICE[grant.scope], `${action} on scope ${grant.scope}`);
        }
      }
    });
  }

  it("keeps the resource-less metrics scope for metric reads only", () => {
    const onMetrics = commands.flatMap((c) => grantsFor(c).filter((g) => g.scope === "metrics").flatMap((g) => g.actions));
    assert.deepEqual(onMetrics, ["cloudwatch:GetMetricData"]);
  });

  it("lets HeadObject read the artifact's metadata but not list the bucket", () => {
    assert.deepEqual(grantsFor("HeadObjectCommand"), [{ actions: ["s3:GetObject"], scope: "artifacts", artifactModeOnly: true }]);
  });

  it("asks for read access to the pinned artifact version with UpdateFunctionCode", () => {
    const grants = grantsFor("UpdateFunctionCodeCommand");
    assert.deepEqual(grants[0], { actions: ["lambda:UpdateFunctionCode"], scope: "function", artifactModeOnly: true });
    const onArtifacts = grants.filter((g) => g.scope === "artifacts").flatMap((g) => g.actions);
    assert.deepEqual([...onArtifacts].sort(), ["s3:GetObject", "s3:GetObjectVersion"]);
    assert.deepEqual([...actionsFor("UpdateFunctionCodeCommand")].sort(), ["lambda:UpdateFunctionCode", "s3:GetObject", "s3:GetObjectVersion"]);
  });

  it("gives stacks whose code pulumi deploys no action that uploads, updates or publishes code", () => {
    const pulumiActions = commands.flatMap((c) => grantsFor(c, "pulumi").flatMap((g) => g.actions));
    for (const action of ["lambda:UpdateFunctionCode", "lambda:PublishVersion", "s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"]) assert.ok(!pulumiActions.includes(action), action);
    assert.deepEqual(grantsFor("UpdateFunctionCodeCommand", "pulumi"), []);
    assert.deepEqual(grantsFor("GetFunctionConfigurationCommand", "pulumi"), [{ actions: ["lambda:GetFunctionConfiguration"], scope: "versions" }]);
  });

  it("authorises calls that name a version against qualified ARNs", () => {
    for (const c of ["InvokeCommand", "GetFunctionConfigurationCommand"] as const) assert.equal(COMMAND_PERMISSIONS[c].scope, "versions", c);
  });

  it("recognises table entries but not inherited object properties as command names", () => {
    assert.equal(isCommandName("UpdateAliasCommand"), true);
    assert.equal(isCommandName("constructor"), false);
    assert.equal(isCommandName("DeleteFunctionCommand"), false);
  });
});
