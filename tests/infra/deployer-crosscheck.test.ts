/**
 * Cross-check between the release CLI, the IAM table and the DeployerRole's policy: every
 * command the CLI's sources can send is in the table, the generated policy allows each of its
 * actions on the ARN AWS authorises that call against, and the policy allows nothing more.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { deployerPolicy, type DeployerResources } from "../../components/deployer-role";
import { COMMAND_PERMISSIONS, PRUNE_ONLY_COMMANDS, grantsFor, isCommandName, isPruneOnlyCommand, prunePolicy, type ActionScope, type CodeDeployment, type CommandName } from "../../release/aws/actions";
import { REPO_ROOT, adapterFiles, allows, commandsSentBy, grantedPairs, waiterCommand, wildcardMatches } from "./deployer-iam";

const RELEASE_DIR = path.join(REPO_ROOT, "release");

const FN = "arn:aws:lambda:eu-west-1:123456789012:function:shiftline-prod-api";
const resources = (codeDeployment: CodeDeployment): DeployerResources => ({
  functionArn: FN,
  aliasNames: ["live"],
  artifactBucket: "shiftline-prod-artifacts",
  artifactKeyPrefix: "functions/api/",
  alarmArns: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shiftline-prod-api-live-errors"],
  codeDeployment,
});
const MODES: readonly CodeDeployment[] = ["pulumi", "release"];

// The ARN AWS evaluates for a typical call of each scope, written out from the ARN formats in
// the Lambda, S3 and CloudWatch authorization references.
const REQUEST_ARNS: Record<ActionScope, string[]> = {
  function: [FN],
  // One version for each first digit a version number can have.
  versions: ["1", "20", "3", "42", "5", "6", "7", "8", "9"].map((v) => `${FN}:${v}`),
  latest: [FN, `${FN}:$LATEST`],
  // GetAlias/UpdateAlias are evaluated on the function ARN (see "alias" in release/aws/actions.ts).
  alias: [FN, `${FN}:live`],
  aliasQualifier: [`${FN}:live`],
  artifacts: [
    "arn:aws:s3:::shiftline-prod-artifacts/functions/api/0f343b0931126a20f133d67c2b018a3b5b0f0d6f8a0c1b6d3e2b1a0f9e8d7c6b.zip",
  ],
  alarms: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:shiftline-prod-api-live-errors"],
  metrics: ["*"],
  // StartLiveTail names the log group by ARN (API_StartLiveTail.html); the Logs authorization
  // reference's "log-group" resource is arn:…:log-group:<name>, often evaluated with ":*".
  logGroup: ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shiftline-prod-api", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shiftline-prod-api:*"],
};

const sent = commandsSentBy(RELEASE_DIR);
const sentNames = [...new Set(sent.map((s) => s.command))].sort();

describe("DeployerRole cross-check with the release CLI", () => {
  it("finds the commands the release CLI sends once it has AWS adapters", () => {
    if (adapterFiles(RELEASE_DIR).length === 0) return; // nothing to check until the adapters exist
    assert.ok(sentNames.length > 0, `release/ imports @aws-sdk clients but no 'new XCommand(', waiter or paginator was found in ${adapterFiles(RELEASE_DIR).join(", ")}`);
  });

  it("resolves SDK waiters to the command they poll, from the installed SDK", () => {
    assert.equal(waiterCommand("waitUntilFunctionUpdatedV2"), "GetFunctionCommand");
    assert.equal(waiterCommand("waitUntilObjectExists"), "HeadObjectCommand");
  });

  it("lists every command the CLI sends in the IAM table, or in prune's table of commands the deployer never gets", () => {
    const missing = sent.filter((s) => !isCommandName(s.command) && !isPruneOnlyCommand(s.command)).map((s) => `${s.command} (${s.via} in ${s.file})`);
    assert.deepEqual(missing, [], "add these to COMMAND_PERMISSIONS in release/aws/actions.ts with the IAM actions AWS documents for them");
  });

  it("sends prune-only commands from prune's adapter alone, and lists none of them in the deployer's table", () => {
    const outside = sent.filter((s) => isPruneOnlyCommand(s.command) && s.file !== path.join("release", "aws", "inventory.ts")).map((s) => `${s.command} in ${s.file}`);
    assert.deepEqual(outside, [], "a release, status or any deployer-role code path must not send a deletion");
    for (const c of Object.keys(PRUNE_ONLY_COMMANDS)) assert.equal(isCommandName(c), false, `${c} must not be in COMMAND_PERMISSIONS`);
  });

  for (const mode of MODES) {
    it(`grants the deployer role none of prune's deletions or listings (codeDeployment: ${mode})`, () => {
      const policy = deployerPolicy(resources(mode));
      const granted: string[] = [];
      for (const action of Object.values(PRUNE_ONLY_COMMANDS).flat()) {
        for (const arn of [FN, `${FN}:7`, `${FN}:42`, "arn:aws:s3:::shiftline-prod-artifacts", ...REQUEST_ARNS.artifacts]) if (allows(policy, action, arn)) granted.push(`${action} on ${arn}`);
      }
      for (const arn of REQUEST_ARNS.artifacts) if (allows(policy, "s3:DeleteObjectVersion", arn)) granted.push(`s3:DeleteObjectVersion on ${arn}`);
      assert.deepEqual(granted, []);
    });
  }

  it("gives prune's optional grant every action prune sends, deletions on numbered versions only", () => {
    const policy = prunePolicy({ functionArn: FN, artifactBucket: "shiftline-prod-artifacts", artifactKeyPrefix: "functions/api/" });
    const pruneSends = [...new Set(sent.filter((s) => s.file === path.join("release", "aws", "inventory.ts")).map((s) => s.command))];
    assert.ok(pruneSends.includes("DeleteFunctionCommand") && pruneSends.includes("ListVersionsByFunctionCommand"), pruneSends.join(", "));
    const target = (action: string) => (action === "lambda:DeleteFunction" ? `${FN}:7` : action.startsWith("lambda:") ? FN : action === "s3:ListBucket" ? "arn:aws:s3:::shiftline-prod-artifacts" : REQUEST_ARNS.artifacts[0]);
    for (const command of pruneSends) {
      const actions = isPruneOnlyCommand(command) ? PRUNE_ONLY_COMMANDS[command] : isCommandName(command) ? grantsFor(command).flatMap((g) => g.actions) : [];
      for (const action of actions) assert.ok(allows(policy, action, target(action)), `${command}: ${action} on ${target(action)}`);
    }
    assert.equal(allows(policy, "lambda:DeleteFunction", FN), false, "the unqualified ARN would delete the whole function");
    assert.equal(allows(policy, "lambda:DeleteFunction", `${FN}:live`), false, "an alias is not a version");
    assert.equal(allows(policy, "lambda:DeleteFunction", `${FN}:$LATEST`), false);
  });

  for (const mode of MODES) {
    describe(`codeDeployment: ${mode}`, () => {
      const policy = deployerPolicy(resources(mode));

      it("grants every action of every command the CLI sends in this mode on the ARN AWS authorises it against", () => {
        const denied: string[] = [];
        for (const command of sentNames.filter(isCommandName)) {
          for (const grant of grantsFor(command, mode)) {
            for (const action of grant.actions) {
              for (const arn of REQUEST_ARNS[grant.scope]) if (!allows(policy, action, arn)) denied.push(`${command}: ${action} on ${arn}`);
            }
          }
        }
        assert.deepEqual(denied, []);
      });

      it("grants only actions the table lists for this mode, each only on ARNs of a scope the table gives it", () => {
        const tableGrants = (Object.keys(COMMAND_PERMISSIONS) as CommandName[]).flatMap((c) => grantsFor(c, mode));
        const unjustified = grantedPairs(policy).filter(
          ({ action, resource }) => !tableGrants.some((g) => g.actions.includes(action) && REQUEST_ARNS[g.scope].some((arn) => wildcardMatches(resource, arn))),
        );
        assert.deepEqual(unjustified, []);
      });

      it("uses the resource '*' only for actions whose every grant is in the metrics scope", () => {
        const onStar = grantedPairs(policy).filter((p) => p.resource === "*").map((p) => p.action);
        const metricsOnly = (a: string) => (Object.keys(COMMAND_PERMISSIONS) as CommandName[]).flatMap((c) => grantsFor(c)).filter((g) => g.actions.includes(a)).every((g) => g.scope === "metrics");
        assert.ok(onStar.length > 0);
        for (const action of onStar) assert.ok(metricsOnly(action), `${action} is granted on * but has a scoped grant in the table`);
      });

      it("denies the same actions on another function, another alias, other keys and other alarms", () => {
        const other = "arn:aws:lambda:eu-west-1:123456789012:function:payments";
        for (const command of Object.keys(COMMAND_PERMISSIONS) as CommandName[]) {
          for (const grant of grantsFor(command)) {
            if (grant.scope === "metrics") continue;
            for (const action of grant.actions) {
              for (const arn of [other, `${other}:live`, `${other}:7`, `${FN}-copy`, `${FN}-copy:live`, `${FN}-copy:7`, "arn:aws:s3:::shiftline-prod-artifacts/other/x.zip", "arn:aws:s3:::another-bucket/functions/api/x.zip", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:someone-else"]) {
                assert.equal(allows(policy, action, arn), false, `${action} must not be allowed on ${arn}`);
              }
            }
          }
        }
        // The policy names no other alias; AWS evaluates UpdateAlias on the function ARN, though,
        // so this keeps the policy exact rather than keeping the role off another alias of FN.
        assert.equal(allows(policy, "lambda:UpdateAlias", `${FN}:beta`), false, "the policy names only the configured aliases");
      });
    });
  }

  it("lists no command in the table that the CLI never sends", () => {
    if (sentNames.length === 0) return; // the CLI's adapters are not written yet
    const unused = [...(Object.keys(COMMAND_PERMISSIONS) as CommandName[]), ...Object.keys(PRUNE_ONLY_COMMANDS)].filter((c) => !sentNames.includes(c));
    assert.deepEqual(unused, [], "remove these from release/aws/actions.ts, or the role grants actions the CLI does not need");
  });
});
