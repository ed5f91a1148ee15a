/**
 * Each policy against crafted resources: the compliant shape passes, and each resource that
 * breaks one rule makes exactly that policy fire once, with a message naming the resource, the
 * property, the rule and the fix. The shapes follow the provider's inputs (@pulumi/aws 7) and
 * AWS's documents (execute-api ARNs, IAM policy grammar, S3 TLS-only and public access block).
 */
import assert from "node:assert/strict";
import { runPack, UNKNOWN, type FakeResource, type PackConfig } from "./harness";

const STACK = "prod";
const TAGS = { service: "shiftline", environment: STACK, stack: STACK };
const EXEC = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5";

const alias = (ignoreChanges: string[]): FakeResource => ({ type: "aws:lambda/alias:Alias", name: "api-alias-live", props: { name: "live", functionName: "fn", functionVersion: "1" }, opts: { ignoreChanges } });
const permission = (props: Record<string, unknown>): FakeResource => ({
  type: "aws:lambda/permission:Permission",
  name: "permission-prod-GET-todo",
  props: { action: "lambda:InvokeFunction", function: "fn", qualifier: "live", principal: "apigateway.amazonaws.com", sourceArn: `${EXEC}/prod/GET/todo/*`, ...props },
});
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (Action: unknown) => ({ Effect: "Allow", Action, Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/t" });
const rolePolicy = (policy: unknown): FakeResource => ({ type: "aws:iam/rolePolicy:RolePolicy", name: "role-policy", props: { role: "r", policy } });
const role = (props: Record<string, unknown>): FakeResource => ({ type: "aws:iam/role:Role", name: "role", props: { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }), tags: TAGS, ...props } });
const TLS_DENY = { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } };
const OLD_TLS_DENY = { Sid: "DenyOldTls", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } };
const linked = { bucket: ["artifacts"] };

interface BucketParts {
  readonly versioning?: Record<string, unknown> | null;
  readonly publicAccess?: Record<string, unknown> | null;
  readonly policy?: unknown;
}
/** The artifact bucket and its three settings as components/artifact-bucket.ts declares them; `null` leaves one out. */
function bucket(parts: BucketParts = {}): FakeResource[] {
  const out: FakeResource[] = [{ type: "aws:s3/bucket:Bucket", name: "artifacts", props: { bucket: "artifacts-1a2b3c", forceDestroy: false, tags: TAGS } }];
  if (parts.versioning !== null) out.push({ type: "aws:s3/bucketVersioning:BucketVersioning", name: "versioning", props: { bucket: "artifacts-1a2b3c", versioningConfiguration: { status: "Enabled" }, ...parts.versioning }, propertyDependencies: linked });
  if (parts.publicAccess !== null) {
    out.push({ type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "public-access", props: { bucket: "artifacts-1a2b3c", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...parts.publicAccess }, propertyDependencies: linked });
  }
  if (parts.policy !== null) out.push({ type: "aws:s3/bucketPolicy:BucketPolicy", name: "tls-only", props: { bucket: "artifacts-1a2b3c", policy: parts.policy ?? doc(TLS_DENY, OLD_TLS_DENY) }, propertyDependencies: linked });
  return out;
}
const table = (props: Record<string, unknown>, protect = true): FakeResource => ({
  type: "aws:dynamodb/table:Table",
  name: "tables-todos",
  props: { billingMode: "PAY_PER_REQUEST", hashKey: "todoId", pointInTimeRecovery: { enabled: true }, deletionProtectionEnabled: true, tags: TAGS, ...props },
  opts: { protect },
});
const logGroup = (props: Record<string, unknown>): FakeResource => ({ type: "aws:cloudwatch/logGroup:LogGroup", name: "api-logs", props: { name: "/aws/lambda/shiftline-prod-api", retentionInDays: 90, tags: TAGS, ...props } });
const fn = (props: Record<string, unknown>): FakeResource => ({ type: "aws:lambda/function:Function", name: "api-function", props: { name: "shiftline-prod-api", tags: TAGS, ...props } });

interface Case {
  readonly title: string;
  readonly resources: readonly FakeResource[];
  readonly config?: PackConfig;
  readonly stack?: string;
}
interface Failing extends Case {
  readonly message: RegExp;
}

const policies: ReadonlyArray<{ readonly policy: string; readonly passing: readonly Case[]; readonly failing: readonly Failing[] }> = [
  {
    policy: "alias-traffic-owned-by-release",
    passing: [
      { title: "an alias ignoring functionVersion and routingConfig", resources: [alias(["functionVersion", "routingConfig"])] },
      { title: "an alias ignoring every input (a superset)", resources: [alias(["description", "functionVersion", "routingConfig"])] },
      { title: 'an alias ignoring "*"', resources: [alias(["*"])] },
    ],
    failing: [
      { title: "an alias that does not ignore routingConfig", resources: [alias(["functionVersion"])], message: /^aws:lambda\/alias:Alias "api-alias-live": ignoreChanges = \["functionVersion"\]: must include routingConfig: .* Fix: add "routingConfig" to the alias's ignoreChanges/ },
      { title: "an alias that does not ignore functionVersion", resources: [alias(["routingConfig"])], message: /ignoreChanges = \["routingConfig"\]: must include functionVersion: .*write the alias back/ },
    ],
  },
  {
    policy: "lambda-permission-on-alias-scoped",
    passing: [
      { title: "one stage, one method, one path, on the alias", resources: [permission({})] },
      { title: "the ANY method of one path (method *)", resources: [permission({ sourceArn: `${EXEC}/prod/*/todo` })] },
      { title: "the ANY method of a path with a parameter", resources: [permission({ sourceArn: `${EXEC}/prod/*/todo/*` })] },
      { title: "another service the config allows, with a source ARN", resources: [permission({ principal: "events.amazonaws.com", sourceArn: "arn:aws:events:eu-west-1:123456789012:rule/nightly" })], config: { "lambda-permission-on-alias-scoped": { allowedPrincipals: ["apigateway.amazonaws.com", "events.amazonaws.com"] } } },
    ],
    failing: [
      { title: "no qualifier (the unqualified function)", resources: [permission({ qualifier: undefined })], message: /^aws:lambda\/permission:Permission "permission-prod-GET-todo": qualifier = unset: must name an alias: .* Fix: set qualifier to the alias/ },
      { title: "a version number as qualifier", resources: [permission({ qualifier: "7" })], message: /qualifier = "7": must name an alias/ },
      { title: "$LATEST as qualifier", resources: [permission({ qualifier: "$LATEST" })], message: /qualifier = "\$LATEST": must name an alias/ },
      { title: "another principal", resources: [permission({ principal: "s3.amazonaws.com" })], message: /principal = "s3.amazonaws.com": must be one of apigateway.amazonaws.com\. Fix: grant to apigateway/ },
      { title: "an action other than InvokeFunction", resources: [permission({ action: "lambda:*" })], message: /action = "lambda:\*": must be lambda:InvokeFunction/ },
      { title: "every method on every path of the stage (/*/*)", resources: [permission({ sourceArn: `${EXEC}/prod/*/*` })], message: /sourceArn = ".*\/prod\/\*\/\*": must never contain \/\*\/\*.* Fix: set sourceArn to/ },
      { title: "every stage and method (/*/*/todo)", resources: [permission({ sourceArn: `${EXEC}/*/*/todo` })], message: /must never contain \/\*\/\*/ },
      { title: "any stage, one method", resources: [permission({ sourceArn: `${EXEC}/*/GET/todo` })], message: /must name one stage .*not a wildcard/ },
      { title: "a stage pattern (? wildcard)", resources: [permission({ sourceArn: `${EXEC}/pro?/GET/todo` })], message: /must name one stage/ },
      { title: "any REST API", resources: [permission({ sourceArn: "arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/todo" })], message: /must name one REST API id/ },
      { title: "a method that is not an HTTP method", resources: [permission({ sourceArn: `${EXEC}/prod/todo` })], message: /must name one method after the stage/ },
      { title: "no source ARN", resources: [permission({ sourceArn: undefined })], message: /sourceArn = unset: must be set/ },
      { title: "a source ARN that is not execute-api", resources: [permission({ sourceArn: "arn:aws:s3:::bucket" })], message: /must be an execute-api ARN/ },
    ],
  },
  {
    policy: "iam-no-wildcard-actions",
    passing: [
      { title: "a role policy listing each action", resources: [rolePolicy(doc(allow(["dynamodb:GetItem", "dynamodb:PutItem"])))] },
      { title: "a Deny with s3:* (the TLS-only bucket policy)", resources: bucket() },
      { title: "a role whose inline policy lists each action, with a customer managed policy", resources: [role({ inlinePolicies: [{ name: "p", policy: doc(allow("logs:PutLogEvents")) }], managedPolicyArns: ["arn:aws:iam::123456789012:policy/mine"] })] },
      { title: "a wildcard the config allows", resources: [rolePolicy(doc(allow("logs:Describe*")))], config: { "iam-no-wildcard-actions": { allowedWildcardActions: ["logs:Describe*"] } } },
    ],
    failing: [
      { title: 'Action "*"', resources: [rolePolicy(doc(allow("*")))], message: /^aws:iam\/rolePolicy:RolePolicy "role-policy": policy.Statement\[0\].Action = \["\*"\]: must not grant \* actions: .* Fix: replace the wildcard/ },
      { title: "a service wildcard among exact actions", resources: [rolePolicy(doc(allow(["s3:GetObject", "s3:*"])))], message: /policy.Statement\[0\].Action = \["s3:\*"\]/ },
      { title: "a prefix wildcard", resources: [rolePolicy(doc({ Sid: "Read", ...allow("dynamodb:Get*") }))], message: /policy.Statement\[0\] \(Read\).Action = \["dynamodb:Get\*"\]/ },
      { title: "Allow with NotAction", resources: [rolePolicy(doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }))], message: /Statement\[0\].NotAction = "iam:\*": an Allow with NotAction grants every action except/ },
      { title: "a single statement object, not a list", resources: [rolePolicy(JSON.stringify({ Version: "2012-10-17", Statement: allow("*") }))], message: /Statement\[0\].Action = \["\*"\]/ },
      { title: "a managed policy given as an object", resources: [{ type: "aws:iam/policy:Policy", name: "managed", props: { policy: { Version: "2012-10-17", Statement: [allow("s3:*")] }, tags: TAGS } }], message: /^aws:iam\/policy:Policy "managed": policy.Statement\[0\].Action = \["s3:\*"\]/ },
      { title: "a role's inline policy", resources: [role({ inlinePolicies: [{ name: "p", policy: doc(allow("*")) }] })], message: /^aws:iam\/role:Role "role": inlinePolicies\[0\].policy.Statement\[0\].Action/ },
      { title: "an AdministratorAccess attachment", resources: [{ type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "admin", props: { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" } }], message: /policyArn = "arn:aws:iam::aws:policy\/AdministratorAccess": must not attach an AWS managed policy/ },
      { title: "a *FullAccess managed policy on the role", resources: [role({ managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"] })], message: /managedPolicyArns\[0\] = .*AmazonDynamoDBFullAccess/ },
      { title: "a bucket policy that allows s3:*", resources: bucket({ policy: doc(TLS_DENY, { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:*", Resource: "arn:aws:s3:::b/*" }) }), message: /^aws:s3\/bucketPolicy:BucketPolicy "tls-only": policy.Statement\[1\].Action = \["s3:\*"\]/ },
      { title: "a document that is not JSON", resources: [rolePolicy("{not json")], message: /policy = "\{not json": is not valid JSON, so its actions cannot be checked/ },
    ],
  },
  {
    policy: "artifact-bucket-versioned-private-tls",
    passing: [
      { title: "the bucket with versioning, the public access block and the TLS-only policy", resources: bucket() },
      { title: "settings linked by bucket name instead of a dependency", resources: bucket().map((r) => ({ ...r, propertyDependencies: {} })) },
      { title: 'a TLS deny naming Principal {AWS: "*"}', resources: bucket({ policy: doc({ ...TLS_DENY, Principal: { AWS: "*" } }) }) },
      { title: "a bucket the config exempts", resources: bucket({ versioning: null, publicAccess: null, policy: null }), config: { "artifact-bucket-versioned-private-tls": { exemptBuckets: ["artifacts"] } } },
    ],
    failing: [
      { title: "no versioning", resources: bucket({ versioning: null }), message: /^aws:s3\/bucket:Bucket "artifacts": versioning = unset: the bucket must be versioned: .* Fix: declare an aws.s3.BucketVersioning/ },
      { title: "versioning suspended", resources: bucket({ versioning: { versioningConfiguration: { status: "Suspended" } } }), message: /^aws:s3\/bucketVersioning:BucketVersioning "versioning": versioningConfiguration.status = "Suspended": must be "Enabled" for bucket artifacts/ },
      { title: "no public access block", resources: bucket({ publicAccess: null }), message: /"artifacts": publicAccessBlock = unset: the bucket must block all public access/ },
      { title: "public policies allowed", resources: bucket({ publicAccess: { blockPublicPolicy: false } }), message: /"public-access": blockPublicPolicy = \[false\]: must all be true for bucket artifacts.* Fix: set blockPublicPolicy: true/ },
      { title: "no bucket policy", resources: bucket({ policy: null }), message: /"artifacts": policy = unset: the bucket policy must deny every request without TLS/ },
      { title: "a bucket policy without the TLS deny", resources: bucket({ policy: doc(OLD_TLS_DENY) }), message: /must deny every request without TLS/ },
      { title: "a TLS deny on one action only", resources: bucket({ policy: doc({ ...TLS_DENY, Action: "s3:GetObject" }) }), message: /must deny every request without TLS/ },
      {
        title: "a public access block that belongs to another bucket",
        resources: bucket().map((r) => (r.name === "public-access" ? { ...r, propertyDependencies: {}, props: { ...r.props, bucket: "other" } } : r)),
        message: /"artifacts": publicAccessBlock = unset: the bucket must block all public access/,
      },
    ],
  },
  {
    policy: "protected-stack-tables-keep-data",
    passing: [
      { title: "a prod table with PITR, deletion protection and protect", resources: [table({})] },
      { title: "an unprotected staging table (staging is not a protected stack)", resources: [table({ pointInTimeRecovery: { enabled: false }, deletionProtectionEnabled: false, tags: { ...TAGS, environment: "staging", stack: "staging" } }, false)], stack: "staging" },
      { title: "a prod table without protect when the config does not require it", resources: [table({}, false)], config: { "protected-stack-tables-keep-data": { requirePulumiProtect: false } } },
    ],
    failing: [
      { title: "no point-in-time recovery", resources: [table({ pointInTimeRecovery: { enabled: false } })], message: /^aws:dynamodb\/table:Table "tables-todos": pointInTimeRecovery.enabled = false: must be on in stack prod \(one of protectedStacks: prod\).* Fix: set shiftline:tableProtection: true/ },
      { title: "no deletion protection", resources: [table({ deletionProtectionEnabled: undefined })], message: /deletionProtectionEnabled = unset: must be on in stack prod/ },
      { title: "no Pulumi protect", resources: [table({}, false)], message: /protect \(resource option\) = false: must be on in stack prod/ },
      { title: "an unprotected staging table when the config protects staging", resources: [table({ pointInTimeRecovery: { enabled: false }, tags: { ...TAGS, environment: "staging", stack: "staging" } })], stack: "staging", config: { "protected-stack-tables-keep-data": { protectedStacks: ["staging", "prod"] } }, message: /must be on in stack staging \(one of protectedStacks: staging, prod\)/ },
    ],
  },
  {
    policy: "log-groups-have-retention",
    passing: [
      { title: "a log group with retention, and the function logging to it", resources: [logGroup({}), fn({ loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/shiftline-prod-api" } })] },
      { title: "a function whose default log group /aws/lambda/<name> is declared", resources: [logGroup({}), fn({})] },
      { title: "a retention within maxRetentionDays", resources: [logGroup({ retentionInDays: 30 })], config: { "log-groups-have-retention": { maxRetentionDays: 30 } } },
    ],
    failing: [
      { title: "no retention", resources: [logGroup({ retentionInDays: undefined })], message: /^aws:cloudwatch\/logGroup:LogGroup "api-logs": retentionInDays = unset: must be set .*forever\. Fix: set retentionInDays/ },
      { title: "retention 0 (never expire)", resources: [logGroup({ retentionInDays: 0 })], message: /retentionInDays = 0: must be set/ },
      { title: "a retention above maxRetentionDays", resources: [logGroup({ retentionInDays: 90 })], config: { "log-groups-have-retention": { maxRetentionDays: 30 } }, message: /retentionInDays = 90: must be at most 30 days/ },
      { title: "a function logging to a group the stack does not declare", resources: [fn({ loggingConfig: { logGroup: "/custom/elsewhere" } })], message: /^aws:lambda\/function:Function "api-function": loggingConfig.logGroup = "\/custom\/elsewhere": must name a log group this stack declares/ },
    ],
  },
  {
    policy: "stack-tags-on-taggable-resources",
    passing: [
      { title: "a resource with the stack's tags", resources: [logGroup({})] },
      { title: "tags from the provider's defaultTags (its config JSON)", resources: [{ ...logGroup({ tags: undefined }), provider: { type: "pulumi:providers:aws", name: "default", urn: "urn:pulumi:prod::shiftline::pulumi:providers:aws::default", props: { defaultTags: JSON.stringify({ tags: TAGS }) } } }] },
      { title: "tags in tagsAll (pulumi-aws merges the default tags there)", resources: [logGroup({ tags: undefined, tagsAll: TAGS })] },
      { title: "a type without tags (an alias)", resources: [alias(["functionVersion", "routingConfig"])] },
      { title: "other required tags from the config", resources: [logGroup({ tags: { team: "payments", stack: STACK } })], config: { "stack-tags-on-taggable-resources": { requiredTags: ["team"] } } },
    ],
    failing: [
      { title: "a missing tag", resources: [logGroup({ tags: { service: "shiftline", stack: STACK } })], message: /^aws:cloudwatch\/logGroup:LogGroup "api-logs": tags = \["service","stack"\]: must carry service, environment, stack \(missing: environment\)\. Fix: set them once as the AWS provider's defaultTags/ },
      { title: "no tags on a taggable type", resources: [logGroup({ tags: undefined })], message: /tags = \[\]: must carry service, environment, stack \(missing: service, environment, stack\)/ },
      { title: "a stack tag naming another stack", resources: [logGroup({ tags: { ...TAGS, stack: "staging" } })], message: /tags.stack = "staging": must be the stack's name, prod/ },
      { title: "a type not in the list that declares tags", resources: [{ type: "aws:sqs/queue:Queue", name: "q", props: { tags: {} } }], message: /^aws:sqs\/queue:Queue "q": tags = \[\]/ },
    ],
  },
];

describe("each policy of the pack on crafted resources", () => {
  for (const { policy, passing, failing } of policies) {
    describe(policy, () => {
      for (const c of passing) {
        it(`passes ${c.title}`, async () => {
          assert.deepEqual(await runPack(c.resources, c.stack ?? STACK, c.config), []);
        });
      }
      for (const c of failing) {
        it(`fires once on ${c.title}`, async () => {
          const violations = await runPack(c.resources, c.stack ?? STACK, c.config);
          assert.equal(violations.length, 1, violations.map((v) => `${v.policy}: ${v.message}`).join("\n"));
          assert.equal(violations[0].policy, policy);
          assert.match(violations[0].message, c.message);
          assert.match(violations[0].message, / Fix: /);
        });
      }
    });
  }

  it("fires once per release-owned property on an alias that ignores neither", async () => {
    const violations = await runPack([alias([])], STACK);
    assert.deepEqual(violations.map((v) => /must include (\w+)/.exec(v.message)?.[1]), ["functionVersion", "routingConfig"]);
  });

  it("in a preview, still checks what is known and says which policy could not read an unknown value", async () => {
    // A first preview: the bucket policy names the bucket's ARN, the permission the API's execution ARN.
    const found = (await runPack([...bucket({ publicAccess: { blockPublicPolicy: false }, policy: UNKNOWN }), permission({ qualifier: "7", sourceArn: UNKNOWN })], STACK)).map((v) => [v.policy, v.enforcementLevel, v.message.replace(/: .*(can't be known during preview)$/, ": $1").slice(0, 90)]);
    assert.deepEqual(
      found.map(([policy, level]) => [policy, level]),
      [
        ["lambda-permission-on-alias-scoped", "mandatory"],
        ["lambda-permission-on-alias-scoped", "advisory"],
        // The bucket policy's document is unknown to this policy too.
        ["iam-no-wildcard-actions", "advisory"],
        ["artifact-bucket-versioned-private-tls", "mandatory"],
        ["artifact-bucket-versioned-private-tls", "advisory"],
      ],
    );
    assert.match(String(found[0][2]), /qualifier = "7"/);
    assert.match(String(found[1][2]), /^can't run policy 'lambda-permission-on-alias-scoped' during preview/);
    assert.match(String(found[3][2]), /"public-access": blockPublicPolicy/);
    assert.match(String(found[4][2]), /^can't run policy 'artifact-bucket-versioned-private-tls' during preview/);
  });

  it("in a preview, checks the other buckets after one whose policy is unknown", async () => {
    const bare: FakeResource = { type: "aws:s3/bucket:Bucket", name: "second", props: { bucket: "second-9z8y", tags: TAGS } };
    const found = await runPack([...bucket({ policy: UNKNOWN }), bare], STACK, { "iam-no-wildcard-actions": { enforcementLevel: "disabled" } });
    assert.deepEqual(
      found.map((v) => [v.enforcementLevel, v.message.slice(0, 61)]),
      [
        ["mandatory", 'aws:s3/bucket:Bucket "second": versioning = unset: the bucket'],
        ["mandatory", 'aws:s3/bucket:Bucket "second": publicAccessBlock = unset: the'],
        ["mandatory", 'aws:s3/bucket:Bucket "second": policy = unset: the bucket pol'],
        ["advisory", "can't run policy 'artifact-bucket-versioned-private-tls' duri"],
      ],
    );
  });

  it("reports a stack policy's violation on the offending resource's URN", async () => {
    const [v] = await runPack(bucket({ versioning: { versioningConfiguration: { status: "Suspended" } } }), STACK);
    assert.equal(v.urn, "urn:pulumi:prod::shiftline::aws:s3/bucketVersioning:BucketVersioning::versioning");
  });

  it("refuses a config value of the wrong type, naming the policy, key, value and fix", async () => {
    await assert.rejects(runPack([table({})], STACK, { "protected-stack-tables-keep-data": { protectedStacks: "prod" } }), /policy protected-stack-tables-keep-data config: protectedStacks = "prod": must be a list of non-empty strings\. Fix the policy pack config file/);
    await assert.rejects(runPack([logGroup({})], STACK, { "log-groups-have-retention": { maxRetentionDays: 0 } }), /maxRetentionDays = 0: must be a whole number, at least 1/);
  });

  it("lets the config change a policy's enforcement level", async () => {
    const [v] = await runPack([logGroup({ retentionInDays: undefined })], STACK, { "log-groups-have-retention": { enforcementLevel: "mandatory" } });
    assert.equal(v.enforcementLevel, "mandatory");
  });
});
