import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  DeployerRole,
  deployerPolicy,
  deployerRoleDefaults,
  deployerSettingsSchema,
  githubSubject,
  parseFunctionArn,
  trustPolicy,
  type DeployerRoleArgs,
  type DeployerResources,
  type PolicyDocument,
} from "../../components/deployer-role";
import { ValidationError, parseOrThrow } from "../../lib/validation";
import { REPO_ROOT, allows } from "./deployer-iam";
import { MockCloud, ofType } from "./mocks";

const ACCOUNT = "123456789012";
const FN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:shiftline-prod-api`;
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const ALARM = `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:shiftline-prod-api-live-errors`;

const baseArgs: DeployerRoleArgs = {
  repository: "acme/shiftline",
  environment: "prod",
  oidcProviderArn: PROVIDER,
  functionArn: FN,
  aliasNames: ["live"],
  artifactBucket: "shiftline-prod-artifacts",
  alarmArns: [ALARM],
};

const resources: DeployerResources = {
  functionArn: FN,
  aliasNames: ["live", "beta"],
  artifactBucket: "shiftline-prod-artifacts",
  artifactKeyPrefix: "functions/api/",
  alarmArns: [ALARM],
  codeDeployment: "release",
};

function problems(args: DeployerRoleArgs): string[] {
  try {
    deployerRoleDefaults(args);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e.problems.map((p) => `${p.field} = ${p.value}: ${p.message}`);
  }
  return [];
}

describe("DeployerRole validation", () => {
  const cases: Array<[string, Partial<Record<keyof DeployerRoleArgs, unknown>>, RegExp]> = [
    ["a repository without an owner", { repository: "shiftline" }, /^repository = "shiftline": must be a GitHub repository as owner\/name/],
    ["both a branch and an environment", { branch: "main" }, /^branch = \{"branch":"main","environment":"prod"\}: give exactly one of branch .* and environment/],
    ["neither a branch nor an environment", { environment: undefined }, /^environment = \(missing\): give exactly one of branch/],
    ["a branch given as a ref", { environment: undefined, branch: "refs/heads/main" }, /^branch = "refs\/heads\/main": give the branch name without refs\/heads\//],
    ["a wildcard branch", { environment: undefined, branch: "release/*" }, /^branch = "release\/\*": must be one branch name without wildcards/],
    ["a wildcard environment", { environment: "prod*" }, /^environment = "prod\*": must be one GitHub environment name without wildcards/],
    ["an existing provider and createOidcProvider together", { createOidcProvider: true }, /^oidcProviderArn = ".*": give the ARN of the account's GitHub OIDC provider, or set createOidcProvider: true/],
    ["no provider at all", { oidcProviderArn: undefined }, /^oidcProviderArn = \(missing\): give the ARN/],
    ["a provider for another issuer", { oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/accounts.google.com` }, /^oidcProviderArn = .*: must be arn:aws:iam::<account>:oidc-provider\/token\.actions\.githubusercontent\.com/],
    ["a qualified function ARN", { functionArn: `${FN}:live` }, /^functionArn = ".*:live": must be the unqualified function ARN/],
    ["no alias", { aliasNames: [] }, /^aliasNames = \[\]: must list at least one alias/],
    ["a numeric alias", { aliasNames: ["live", "7"] }, /^aliasNames\[1\] = "7": must be a Lambda alias name/],
    ["a repeated alias", { aliasNames: ["live", "live"] }, /^aliasNames = \["live","live"\]: must not list an alias twice/],
    ["a prefix outside functions/", { artifactKeyPrefix: "api/" }, /^artifactKeyPrefix = "api\/": must look like functions\/<fn>\//],
    ["a name instead of an alarm ARN", { alarmArns: ["errors"] }, /^alarmArns\[0\] = "errors": must be a CloudWatch alarm ARN/],
    ["a session shorter than IAM allows", { maxSessionDurationSeconds: 900 }, /^maxSessionDurationSeconds = 900: must be at least 3600 seconds/],
    ["an unknown code deployment", { codeDeployment: "manual" }, /^codeDeployment = "manual": must be pulumi or release/],
  ];
  for (const [what, patch, expected] of cases) {
    it(`rejects ${what}, naming field, value and rule`, () => {
      const found = problems({ ...baseArgs, ...patch } as DeployerRoleArgs);
      assert.ok(found.some((p) => expected.test(p)), `expected ${expected} among:\n${found.join("\n")}`);
    });
  }

  it("reports every problem at once", () => {
    const found = problems({ ...baseArgs, repository: "x", aliasNames: [], functionArn: "fn", maxSessionDurationSeconds: 1 });
    assert.deepEqual(found.map((p) => p.split(" = ")[0]).sort(), ["aliasNames", "functionArn", "maxSessionDurationSeconds", "repository"]);
  });

  it("defaults the prefix to functions/api/, the session to two hours and the mode to pulumi", () => {
    const a = deployerRoleDefaults(baseArgs);
    assert.equal(a.artifactKeyPrefix, "functions/api/");
    assert.equal(a.maxSessionDurationSeconds, 7200);
    assert.equal(a.createOidcProvider, false);
    assert.equal(a.codeDeployment, "pulumi", "no code-changing action unless the stack says artifact mode");
  });
});

describe("deployer stack setting", () => {
  const settingProblems = (input: unknown): string[] => {
    try {
      parseOrThrow(deployerSettingsSchema, input, "stack config", "shiftline:deployer");
    } catch (e) {
      assert.ok(e instanceof ValidationError, String(e));
      return e.problems.map((p) => `${p.field} = ${p.value}: ${p.message}`);
    }
    return [];
  };

  it("accepts a repository, an environment and an existing provider", () => {
    assert.deepEqual(settingProblems({ repository: "acme/shiftline", environment: "prod", oidcProviderArn: PROVIDER }), []);
  });

  it("accepts a branch with a provider to create", () => {
    assert.deepEqual(settingProblems({ repository: "acme/shiftline", branch: "develop", createOidcProvider: true }), []);
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ["an unknown key", { repository: "acme/shiftline", environment: "prod", oidcProviderArn: PROVIDER, branches: ["main"] }, /^shiftline:deployer\.branches = \["main"\]: unknown setting/],
    ["both a branch and an environment", { repository: "acme/shiftline", environment: "prod", branch: "main", oidcProviderArn: PROVIDER }, /^shiftline:deployer\.branch = .*give exactly one of branch/],
    ["neither provider choice", { repository: "acme/shiftline", environment: "prod" }, /^shiftline:deployer\.oidcProviderArn = \(missing\): give the ARN/],
    ["a provider ARN of another issuer", { repository: "acme/shiftline", environment: "prod", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com" }, /^shiftline:deployer\.oidcProviderArn = .*oidc-provider\/token\.actions\.githubusercontent\.com/],
  ];
  for (const [what, input, expected] of cases) {
    it(`rejects ${what}, naming the key`, () => {
      const found = settingProblems(input);
      assert.ok(found.some((p) => expected.test(p)), `expected ${expected} among:\n${found.join("\n")}`);
    });
  }
});

describe("GitHub OIDC trust", () => {
  it("names the environment subject for jobs that declare an environment", () => {
    assert.equal(githubSubject({ repository: "acme/shiftline", environment: "prod" }), "repo:acme/shiftline:environment:prod");
  });

  it("names the branch ref subject for runs without an environment", () => {
    assert.equal(githubSubject({ repository: "acme/shiftline", branch: "develop" }), "repo:acme/shiftline:ref:refs/heads/develop");
  });

  it("lets only that subject, with the STS audience, assume the role through the provider", () => {
    assert.deepEqual(trustPolicy(PROVIDER, "repo:acme/shiftline:environment:prod"), {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: PROVIDER },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": "repo:acme/shiftline:environment:prod",
            },
          },
        },
      ],
    });
  });
});

describe("DeployerRole policy document", () => {
  const doc = deployerPolicy(resources);

  it("reads and moves aliases on the function ARN, which AWS authorises GetAlias and UpdateAlias against, and on the named aliases", () => {
    // Service Authorization Reference: resource type "function" (arn:…:function:<name>) only.
    for (const action of ["lambda:GetAlias", "lambda:UpdateAlias"]) {
      assert.equal(allows(doc, action, FN), true, `${action} on the function ARN`);
      assert.equal(allows(doc, action, `${FN}:live`), true);
      assert.equal(allows(doc, action, `${FN}:beta`), true);
      assert.equal(allows(doc, action, `${FN}:canary`), false, "the policy names only the configured aliases");
      assert.equal(allows(doc, action, FN.replace("shiftline-prod-api", "other")), false, "another function's aliases");
    }
  });

  it("reads provisioned concurrency on the aliases and numbered versions only, the resource types AWS gives GetProvisionedConcurrencyConfig", () => {
    assert.equal(allows(doc, "lambda:GetProvisionedConcurrencyConfig", `${FN}:live`), true);
    assert.equal(allows(doc, "lambda:GetProvisionedConcurrencyConfig", `${FN}:beta`), true);
    assert.equal(allows(doc, "lambda:GetProvisionedConcurrencyConfig", `${FN}:42`), true);
    // "function alias" and "function version" only: no request of this action names the unqualified ARN.
    assert.equal(allows(doc, "lambda:GetProvisionedConcurrencyConfig", FN), false, "not on the unqualified function ARN");
    assert.equal(allows(doc, "lambda:GetProvisionedConcurrencyConfig", `${FN}:canary`), false);
  });

  it("invokes published versions of this function for smoke checks", () => {
    assert.equal(allows(doc, "lambda:InvokeFunction", `${FN}:42`), true);
    assert.equal(allows(doc, "lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:123456789012:function:other:42"), false);
    assert.equal(allows(doc, "lambda:InvokeFunction", FN), false, "the unpublished $LATEST is never invoked");
  });

  it("writes artifacts only under the function's prefix and reads the pinned object version", () => {
    assert.equal(allows(doc, "s3:PutObject", "arn:aws:s3:::shiftline-prod-artifacts/functions/api/abc.zip"), true);
    assert.equal(allows(doc, "s3:GetObjectVersion", "arn:aws:s3:::shiftline-prod-artifacts/functions/api/abc.zip"), true);
    assert.equal(allows(doc, "s3:PutObject", "arn:aws:s3:::shiftline-prod-artifacts/functions/worker/abc.zip"), false);
  });

  it("reads metrics on * but alarms only by ARN", () => {
    assert.equal(allows(doc, "cloudwatch:GetMetricData", "*"), true);
    assert.equal(allows(doc, "cloudwatch:DescribeAlarms", ALARM), true);
    assert.equal(allows(doc, "cloudwatch:DescribeAlarms", "*"), false);
  });

  it("leaves DescribeAlarms out instead of widening it when no alarm is configured", () => {
    const none = deployerPolicy({ ...resources, alarmArns: [] });
    assert.equal(none.Statement.some((s) => ([] as string[]).concat(s.Action).includes("cloudwatch:DescribeAlarms")), false);
    assert.ok(none.Statement.every((s) => s.Resource !== undefined && ([] as string[]).concat(s.Resource).length > 0));
  });

  it("builds S3 ARNs in the function's partition", () => {
    const cn = deployerPolicy({ ...resources, functionArn: "arn:aws-cn:lambda:cn-north-1:123456789012:function:api", alarmArns: [] });
    assert.equal(allows(cn, "s3:PutObject", "arn:aws-cn:s3:::shiftline-prod-artifacts/functions/api/a.zip"), true);
    assert.equal(allows(cn, "s3:PutObject", "arn:aws:s3:::shiftline-prod-artifacts/functions/api/a.zip"), false);
  });

  for (const codeDeployment of ["pulumi", "release"] as const) {
    it(`is described statement for statement by the README's deployer role table (codeDeployment: ${codeDeployment})`, () => {
      const r: DeployerResources = { ...resources, codeDeployment };
      assert.deepEqual(readmePolicyTriples(r), policyTriples(deployerPolicy(r)));
    });
  }

  it("refuses a qualified function ARN when resolving resources", () => {
    assert.throws(() => parseFunctionArn(`${FN}:live`), /functionArn = ".*:live": must be the unqualified function ARN/);
  });
});

/** Every (effect, action, resource) the document names, sorted. */
function policyTriples(doc: PolicyDocument): string[] {
  const list = (v: string | string[] | undefined) => ([] as string[]).concat(v ?? []);
  return doc.Statement.flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${s.Effect} ${a} ${r}`))).sort();
}

/**
 * The README's permissions table, read as (effect, action, resource) for one stack: rows for
 * "all" stacks and for its codeDeployment, with `…:function:<fn>`, `…:log-group:/aws/lambda/<fn>`, `<alias>`, `<bucket>`,
 * `<alarm ARN>` and "`…:N*` for N = 1 … 9" written out.
 */
function readmePolicyTriples(r: DeployerResources): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Deployer role (least-privilege CI)");
  assert.ok(start >= 0, "README has the Deployer role subsection");
  const section = readme.slice(start, readme.indexOf("<!-- /section:release -->", start));
  const rows = section.split("\n").filter((l) => /^\| (Allow|Deny) \|/.test(l));
  assert.ok(rows.length > 0, "the Deployer role subsection has a permissions table");
  const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const triples: string[] = [];
  for (const row of rows) {
    const [, effect, actionCell, resourceCell, stacksCell] = row.split("|").map((c) => c.trim());
    if (stacksCell !== "all" && !ticked(stacksCell).includes(r.codeDeployment)) continue;
    const resources = ticked(resourceCell).flatMap((pattern) => {
      // The function's log group, in the same account and region: arn:…:logs:<region>:<account>:log-group:/aws/lambda/<fn>.
      const logGroup = r.functionArn.replace(/:lambda:([^:]+):([^:]+):function:(.+)$/, ":logs:$1:$2:log-group:/aws/lambda/$3");
      const arn = pattern.replace("…:log-group:/aws/lambda/<fn>", logGroup).replace("…:function:<fn>", r.functionArn).replace("<bucket>", r.artifactBucket);
      if (arn === "<alarm ARN>") return [...r.alarmArns];
      if (arn.includes("<alias>")) return r.aliasNames.map((a) => arn.replace("<alias>", a));
      if (arn.endsWith(":N*") && /for N = 1 … 9/.test(resourceCell)) return ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((n) => arn.replace(/N\*$/, `${n}*`));
      return [arn];
    });
    for (const action of ticked(actionCell)) for (const resource of resources) triples.push(`${effect} ${action} ${resource}`);
  }
  return triples.sort();
}

const OIDC_TYPE = "aws:iam/openIdConnectProvider:OpenIdConnectProvider";
const COMPONENT = { type: "shiftline:ci:DeployerRole", name: "deployer" };

/**
 * Declares one DeployerRole as a stack under the shared mocks (tests/infra/mocks.ts), which
 * record each resource's inputs and parent; the provider's ARN is added as AWS would return it.
 */
async function evaluateDeployer(args: DeployerRoleArgs) {
  const cloud = new MockCloud();
  const mocks: pulumi.runtime.Mocks = {
    newResource: async (a) => {
      const r = await cloud.mocks.newResource(a);
      return a.type === OIDC_TYPE ? { ...r, state: { ...r.state, arn: PROVIDER } } : r;
    },
    call: (a) => cloud.mocks.call(a),
  };
  await pulumi.runtime.setMocks(mocks, "shiftline", "prod", false);
  const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(cloud.transformation);
    const role = new DeployerRole(COMPONENT.name, args);
    return { roleArn: role.roleArn, oidcProviderArn: role.oidcProviderArn };
  })) as { roleArn: string; oidcProviderArn: string };
  const resources = await cloud.settle();
  const one = (type: string) => {
    const found = ofType(resources, type);
    assert.equal(found.length, 1, `one ${type}`);
    return found[0];
  };
  return { outputs, resources, cloud, one };
}

const parseDoc = (value: unknown): PolicyDocument => JSON.parse(String(value)) as PolicyDocument;

describe("DeployerRole component", () => {
  it("parents every child to the component and names it after the component", async () => {
    const { resources } = await evaluateDeployer({ ...baseArgs, oidcProviderArn: undefined, createOidcProvider: true });
    const children = resources.filter((r) => r.type !== COMPONENT.type);
    assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider deployer-github-oidc",
      "aws:iam/role:Role deployer-role",
      "aws:iam/rolePolicy:RolePolicy deployer-policy",
    ]);
    for (const child of children) assert.deepEqual(child.parent, COMPONENT, `${child.type} ${child.name}`);
  });

  it("trusts exactly the configured environment of the repository through the given provider", async () => {
    const { one, resources } = await evaluateDeployer(baseArgs);
    assert.equal(ofType(resources, OIDC_TYPE).length, 0, "an existing provider is not created again");
    const trust = parseDoc(one("aws:iam/role:Role").inputs.assumeRolePolicy);
    assert.equal(trust.Statement.length, 1);
    assert.equal(trust.Statement[0].Action, "sts:AssumeRoleWithWebIdentity");
    assert.deepEqual(trust.Statement[0].Principal, { Federated: PROVIDER });
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:acme/shiftline:environment:prod" },
    });
  });

  it("creates GitHub's OIDC provider when told to, and trusts it for the branch", async () => {
    const { one, outputs } = await evaluateDeployer({ ...baseArgs, oidcProviderArn: undefined, createOidcProvider: true, environment: undefined, branch: "main" });
    const provider = one(OIDC_TYPE);
    assert.equal(provider.inputs.url, "https://token.actions.githubusercontent.com");
    assert.deepEqual(provider.inputs.clientIdLists, ["sts.amazonaws.com"]);
    const trust = parseDoc(one("aws:iam/role:Role").inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Principal, { Federated: PROVIDER });
    assert.equal(trust.Statement[0].Condition?.StringEquals["token.actions.githubusercontent.com:sub"], "repo:acme/shiftline:ref:refs/heads/main");
    assert.equal(outputs.oidcProviderArn, PROVIDER);
  });

  it("attaches a policy without wildcard actions, with * only for metric reads", async () => {
    const { one } = await evaluateDeployer(baseArgs);
    const doc = parseDoc(one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
    for (const s of doc.Statement) {
      const actions = ([] as string[]).concat(s.Action);
      assert.ok(actions.every((a) => !a.includes("*")), `wildcard action in ${JSON.stringify(s)}`);
      if (([] as string[]).concat(s.Resource ?? []).includes("*")) assert.deepEqual(actions, ["cloudwatch:GetMetricData"]);
    }
    assert.equal(allows(doc, "lambda:UpdateAlias", `${FN}:live`), true);
    assert.equal(allows(doc, "cloudwatch:DescribeAlarms", ALARM), true);
  });

  it("exports the role ARN, caps the session and looks nothing up", async () => {
    const { one, outputs, cloud } = await evaluateDeployer({ ...baseArgs, maxSessionDurationSeconds: 3600 });
    const role = one("aws:iam/role:Role");
    assert.match(outputs.roleArn, /^arn:aws:iam::123456789012:role\//);
    assert.equal(role.inputs.maxSessionDuration, 3600);
    assert.deepEqual(cloud.invokes, []);
  });

  it("fails before declaring anything when the arguments are invalid", () => {
    assert.throws(() => new DeployerRole("invalid", { ...baseArgs, repository: "nope" }), ValidationError);
  });
});
