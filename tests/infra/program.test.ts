import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { releaseSettingsSchema } from "../../release/inputs/settings";
import { stackOutputsSchema } from "../../release/inputs/stack-outputs";
import { loadOutputs } from "../../release/inputs/resolve";
import { parseOrThrow } from "../../lib/validation";
import { parseConfigValue } from "../../components/config";
import { TABLE_ACTIONS } from "../../lambda-src/permissions";
import { TABLES } from "../../lambda-src/tables";
import { createRequestMetrics } from "../../lambda-src/metrics";
import { emfDocuments } from "../helpers/emf";
import { countByType, MOCK_ACCOUNT, ofType, type CapturedResource } from "./mocks";
import { REPO_ROOT, evaluateProgram, readStackConfig, STACKS, type StackName } from "./program";
import { allowStatements, parsePolicy } from "./policy-reading";
import { assertNeverMovedByPulumi } from "./alias-inputs";
import { createServiceLogger } from "../../lambda-src/logger";

/** The level the service logger picks in a Lambda environment with these variables. */
function loggerLevelOnLambda(awsLambdaLogLevel: string, variables: Record<string, string>): string {
  const keys = ["AWS_LAMBDA_LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_SERVICE_NAME"] as const;
  const saved = keys.map((k) => process.env[k]);
  try {
    process.env.AWS_LAMBDA_LOG_LEVEL = awsLambdaLogLevel;
    process.env.POWERTOOLS_LOG_LEVEL = variables.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_SERVICE_NAME = variables.POWERTOOLS_SERVICE_NAME;
    return createServiceLogger().getLevelName();
  } finally {
    keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
  }
}
import { allows } from "./policy-matching";

type Evaluated = Awaited<ReturnType<typeof evaluateProgram>>;
const evaluated = new Map<StackName, Evaluated>();
// The stack runs above build lambda-src for real (as `pulumi up` does); variants reuse that build.
const prebuilt = { "shiftline:artifactManifest": join(REPO_ROOT, ".build", "manifest.json") };

/** The exports the release CLI reads (it ignores any other export), parsed with its schema. */
const releaseContract = (exports: Record<string, unknown>) =>
  parseOrThrow(stackOutputsSchema, Object.fromEntries(Object.entries(exports).filter(([k]) => k in stackOutputsSchema.shape)), "stack outputs");

const one = (resources: readonly CapturedResource[], type: string): CapturedResource => {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0];
};

describe("the program under both stack files", function () {
  this.timeout(60_000);

  before(async () => {
    for (const stack of STACKS) evaluated.set(stack, await evaluateProgram(stack));
  });

  for (const stack of STACKS) {
    describe(`stack ${stack}`, () => {
      const get = () => evaluated.get(stack) as Evaluated;
      const yamlValue = (key: string): unknown => parseConfigValue(key, readStackConfig(stack)[`shiftline:${key}`] ?? "null");

      it("exports outputs the release CLI accepts", () => {
        const outputs = releaseContract(get().value);
        assert.equal(outputs.environment, stack);
        assert.equal(outputs.region, readStackConfig(stack)["aws:region"]);
        assert.equal(outputs.functionName, `shiftline-${stack}-api`);
        assert.equal(outputs.artifactKeyPrefix, "functions/api/");
        assert.deepEqual(Object.keys(outputs.stages), Object.keys(yamlValue("stages") as object));
        assert.equal(outputs.release.strategy, (yamlValue("release") as { strategy: string }).strategy);
        // The live evidence source tails the function's own log group, named by ARN without ":*".
        assert.equal(outputs.requestMetrics?.logGroupArn, `arn:aws:logs:${readStackConfig(stack)["aws:region"]}:${MOCK_ACCOUNT}:log-group:/aws/lambda/shiftline-${stack}-api`);
      });

      it("hands the release CLI everything it reads, as `pulumi stack output --json` would print it", () => {
        const printed = JSON.stringify(get().value);
        const { outputs } = loadOutputs({ stack }, (asked) => (asked === stack ? printed : undefined));
        assert.equal(outputs?.functionName, `shiftline-${stack}-api`);
        assert.deepEqual(outputs?.stages, (get().value as { stages: unknown }).stages);
      });

      it("matches the release settings of the release CLI's fixture outputs for this stack", () => {
        const fixture = JSON.parse(readFileSync(join(REPO_ROOT, "tests", "release", "fixtures", `${stack}-outputs.json`), "utf8")) as { release: unknown };
        const fromFixture = parseOrThrow(releaseSettingsSchema, fixture.release, `tests/release/fixtures/${stack}-outputs.json`, "release");
        assert.deepEqual(releaseContract(get().value).release, fromFixture);
      });

      it("names five alarms per alias for the release step to watch: three Lambda ones, the server-error rate and its stage's 5XXError", () => {
        const outputs = releaseContract(get().value);
        const alarms = ofType(get().resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => r.inputs.name ?? r.name);
        for (const alias of outputs.aliases) {
          assert.equal(outputs.alarmNames[alias].length, 3 + 1 + Object.values(yamlValue("stages") as Record<string, string>).filter((a) => a === alias).length);
          for (const name of outputs.alarmNames[alias]) assert.ok(alarms.includes(name), `${name} is not a declared alarm`);
        }
      });

      it("alarms on the server-error rate of exactly the metrics the function writes for that alias", () => {
        const { resources } = get();
        const fn = one(resources, "aws:lambda/function:Function");
        const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        // One EMF document as the function writes it for a 500 through the alias, with the stack's settings.
        const alias = (yamlValue("stages") as Record<string, string>)[stack];
        let printed = "";
        const write = process.stdout.write.bind(process.stdout);
        process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
        try {
          createRequestMetrics({ namespace: variables.POWERTOOLS_METRICS_NAMESPACE, serviceName: variables.POWERTOOLS_SERVICE_NAME }).publish({
            functionName: String(fn.inputs.name),
            invokedFunctionArn: `arn:aws:lambda:eu-west-1:${MOCK_ACCOUNT}:function:${String(fn.inputs.name)}:${alias}`,
            functionVersion: "1",
            statusCode: 500,
            latencyMs: 1,
          });
        } finally {
          process.stdout.write = write;
        }
        const [doc] = emfDocuments(printed);
        const aliasWide = doc.dimensionSets.find((set) => !set.includes("Version"));
        assert.ok(aliasWide, "the function writes an alias-wide dimension set");
        const written = Object.fromEntries(aliasWide.map((d) => [d, doc.dimensions[d]]));
        const alarm = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").find((r) => r.name.endsWith(`alarms-${alias}-server-error-rate`));
        assert.ok(alarm, "no server-error-rate alarm for the alias");
        const queries = alarm.inputs.metricQueries as { id: string; expression?: string; metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; stat: string } }[];
        const metrics = queries.filter((q) => q.metric !== undefined);
        assert.deepEqual(metrics.map((q) => q.metric?.metricName).sort(), ["Requests", "ServerErrors"]);
        for (const q of metrics) {
          assert.equal(q.metric?.namespace, doc.namespace);
          assert.deepEqual(q.metric?.dimensions, written, "the alarm's dimensions are one of the sets the function writes");
          assert.equal(q.metric?.stat, "Sum");
          assert.ok(doc.metrics.some((m) => m.name === q.metric?.metricName), `${q.metric?.metricName} is a metric the function writes`);
        }
        const byName = Object.fromEntries(metrics.map((q) => [q.metric?.metricName, q.id]));
        assert.equal(queries.find((q) => q.expression !== undefined)?.expression, `100 * ${byName.ServerErrors} / ${byName.Requests}`);
        assert.equal(alarm.inputs.threshold, 5);
        // "M out of N", as the EMF alarms page advises for Lambda: 1 breaching datapoint of the last 3, so a late one still counts.
        assert.deepEqual([alarm.inputs.datapointsToAlarm, alarm.inputs.evaluationPeriods], [1, 3]);
      });

      it("alarms on API Gateway's 5XXError share of each stage", () => {
        const { resources } = get();
        const api = one(resources, "aws:apigateway/restApi:RestApi");
        for (const stageName of Object.keys(yamlValue("stages") as object)) {
          const alarm = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").find((r) => r.name.endsWith(`stage-alarms-${stageName}-5xx-rate`));
          assert.ok(alarm, `no 5XXError alarm for stage ${stageName}`);
          assert.equal(alarm.inputs.namespace, "AWS/ApiGateway");
          assert.equal(alarm.inputs.metricName, "5XXError");
          assert.deepEqual(alarm.inputs.dimensions, { ApiName: api.inputs.name ?? api.name, Stage: stageName });
          assert.equal(alarm.inputs.statistic, "Average");
          assert.equal(alarm.inputs.threshold, 0.05);
          assert.ok((alarm.inputs.period as number) >= 60 && (alarm.inputs.period as number) % 60 === 0);
        }
      });

      it("parents every resource under a shiftline component, and nothing but the top component and its AWS provider sits at the root", () => {
        const { resources } = get();
        const roots = resources.filter((r) => r.parent === undefined);
        assert.deepEqual(roots.map((r) => r.type).sort(), ["pulumi:providers:aws", "shiftline:app:ShiftlineStack"]);
        for (const r of resources.filter((x) => x.parent !== undefined)) {
          assert.match(r.parent?.type ?? "", /^shiftline:/, `${r.type} ${r.name} is parented by ${r.parent?.type}`);
          assert.ok(r.name.startsWith(`${r.parent?.name}-`), `${r.name} is not named after its parent ${r.parent?.name}`);
        }
      });

      it("starts every resource's name with the stack's prefix, and every name AWS is given with it but those AWS fixes", () => {
        const { resources } = get();
        const prefix = `shiftline-${stack}`;
        assert.equal(readStackConfig(stack)["shiftline:namePrefix"], prefix);
        // Logical names: what Pulumi builds a generated name from (`<logical>-<7 random>`), for
        // the bucket, tables, alarms, roles, the API and every other resource without a set name.
        for (const r of resources) assert.ok(r.name === prefix || r.name.startsWith(`${prefix}-`), `${r.type} ${r.name} does not start with ${prefix}-`);
        // Names set explicitly: each carries the prefix, except names AWS fixes or that live inside another resource.
        const scoped = new Set(["aws:lambda/alias:Alias", "aws:apigateway/stage:Stage", "aws:s3/bucketObjectv2:BucketObjectv2"]);
        for (const r of resources.filter((x) => x.custom && typeof x.inputs.name === "string" && !scoped.has(x.type))) {
          const name = String(r.inputs.name);
          if (name.startsWith("API-Gateway-Execution-Logs_")) continue; // API Gateway's own name, by API id (unique per stack)
          assert.ok(name.includes(prefix), `${r.type} ${r.name} is named ${name}`);
        }
        const api = one(resources, "aws:apigateway/restApi:RestApi");
        assert.equal((JSON.parse(String(api.inputs.body)) as { info: { title: string } }).info.title, `${prefix}-http`);
      });

      it("keeps every generated name within AWS's length limits (logical name, a hyphen and 7 random characters)", () => {
        // S3 bucket names 3-63 lowercase; IAM role names at most 64.
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
        const limits: Record<string, number> = { "aws:s3/bucket:Bucket": 63, "aws:iam/role:Role": 64 };
        for (const r of get().resources.filter((x) => x.type in limits && x.inputs.name === undefined)) {
          assert.ok(r.name.length + 8 <= limits[r.type], `${r.type} ${r.name} leaves no room for the 8-character suffix within ${limits[r.type]}`);
          if (r.type === "aws:s3/bucket:Bucket") assert.match(r.name, /^[a-z0-9][a-z0-9-]*$/);
        }
      });

      it("manages every resource with the stack's one AWS provider, whose default tags name service, environment and stack", () => {
        const { resources, cloud } = get();
        const provider = one(resources, "pulumi:providers:aws");
        assert.deepEqual(JSON.parse(String(provider.inputs.defaultTags)), { tags: { service: "shiftline", environment: stack, stack: `shiftline/${stack}` } });
        assert.equal(provider.inputs.region, readStackConfig(stack)["aws:region"]);
        const reference = `urn:pulumi:${stack}::shiftline::pulumi:pulumi:Stack$pulumi:providers:aws::${provider.name}::mocked::pulumi:providers:aws::${provider.name}`;
        for (const r of resources.filter((x) => x.custom && x.type.startsWith("aws:"))) assert.equal(r.provider, reference, `${r.type} ${r.name} is not managed by the stack's provider`);
        assert.ok(cloud.invokeProviders.length > 0);
        for (const [i, p] of cloud.invokeProviders.entries()) assert.equal(p, reference, `invoke ${cloud.invokes[i]} runs on another provider`);
      });

      it("declares every route in the API's OpenAPI body, with one permission per route and per path for each stage", () => {
        const { resources } = get();
        const stages = Object.keys(yamlValue("stages") as object).length;
        const counts = countByType(resources);
        const body = JSON.parse(String(one(resources, "aws:apigateway/restApi:RestApi").inputs.body)) as { paths: Record<string, Record<string, unknown>> };
        const declared = Object.entries(body.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
        assert.deepEqual(declared.sort(), [
          "get /health",
          "get /names",
          "get /todo/{todoId}",
          "post /todo",
          "x-amazon-apigateway-any-method /health",
          "x-amazon-apigateway-any-method /names",
          "x-amazon-apigateway-any-method /todo",
          "x-amazon-apigateway-any-method /todo/{todoId}",
        ]);
        assert.equal(counts["aws:apigateway/method:Method"], undefined);
        assert.equal(counts["aws:apigateway/integration:Integration"], undefined);
        assert.equal(counts["aws:lambda/permission:Permission"], 8 * stages);
        assert.equal(counts["aws:apigateway/stage:Stage"], stages);
        assert.equal(counts["aws:dynamodb/table:Table"], Object.keys(TABLES).length);
      });

      it("lets each stage invoke only its alias, from this API's stage and path (and method, but for ANY)", () => {
        const { resources } = get();
        const api = one(resources, "aws:apigateway/restApi:RestApi");
        const executionArn = `arn:aws:execute-api:eu-west-1:123456789012:mocked::${api.type}::${api.name}`;
        const stages = yamlValue("stages") as Record<string, string>;
        const expected = Object.entries(stages).flatMap(([stage, alias]) =>
          ["POST/todo", "GET/todo/*", "GET/names", "GET/health", "*/todo", "*/todo/*", "*/names", "*/health"].map((tail) => ({ alias, sourceArn: `${executionArn}/${stage}/${tail}` })),
        );
        const actual = ofType(resources, "aws:lambda/permission:Permission").map((p) => {
          assert.equal(p.inputs.action, "lambda:InvokeFunction");
          assert.equal(p.inputs.principal, "apigateway.amazonaws.com");
          assert.equal(p.inputs.function, `shiftline-${stack}-api`);
          return { alias: p.inputs.qualifier, sourceArn: p.inputs.sourceArn };
        });
        const key = (x: { sourceArn: unknown }) => String(x.sourceArn);
        assert.deepEqual([...actual].sort((a, b) => key(a).localeCompare(key(b))), [...expected].sort((a, b) => key(a).localeCompare(key(b))));
      });

      it("routes every operation to the alias named by the stage's lambdaAlias variable, which exists", () => {
        const { resources } = get();
        const fnArn = `arn:aws:lambda:eu-west-1:123456789012:function:shiftline-${stack}-api`;
        const body = JSON.parse(String(one(resources, "aws:apigateway/restApi:RestApi").inputs.body)) as { paths: Record<string, Record<string, Record<string, unknown>>> };
        const operations = Object.values(body.paths).flatMap((item) => Object.values(item));
        assert.equal(operations.length, 8);
        for (const operation of operations) {
          assert.deepEqual(operation["x-amazon-apigateway-integration"], {
            type: "aws_proxy",
            httpMethod: "POST",
            uri: `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${fnArn}:\${stageVariables.lambdaAlias}/invocations`,
            passthroughBehavior: "when_no_match",
          });
        }
        const aliases = ofType(resources, "aws:lambda/alias:Alias").map((a) => a.inputs.name);
        for (const stage of ofType(resources, "aws:apigateway/stage:Stage")) {
          const alias = (stage.inputs.variables as Record<string, string>).lambdaAlias;
          assert.equal(alias, (yamlValue("stages") as Record<string, string>)[String(stage.inputs.stageName)]);
          assert.ok(aliases.includes(alias), `stage ${String(stage.inputs.stageName)} selects ${alias}, which is not an alias`);
        }
      });

      it("leaves the alias's version and routing to the release step: no input of the alias can be updated or replaced by pulumi up", () => {
        const aliases = ofType(get().resources, "aws:lambda/alias:Alias");
        assert.ok(aliases.length >= 1);
        for (const alias of aliases) {
          assertNeverMovedByPulumi(alias);
          assert.equal(alias.inputs.description, "Traffic is moved by the release step, not by pulumi up.");
          assert.equal(alias.inputs.functionVersion, "1", "the alias starts at the version published by this update");
        }
      });

      it("runs the function on Node 22 arm64 from the uploaded key and object version, publishing a version", () => {
        const { resources } = get();
        const fn = one(resources, "aws:lambda/function:Function");
        const object = one(resources, "pulumi-nodejs:dynamic/shiftline:VersionedArtifact");
        assert.equal(fn.inputs.runtime, "nodejs22.x");
        assert.deepEqual(fn.inputs.architectures, ["arm64"]);
        assert.equal(fn.inputs.handler, "index.handler");
        assert.equal(fn.inputs.publish, true);
        assert.match(String(object.inputs.key), /^functions\/api\/[0-9a-f]{64}\.zip$/);
        assert.equal(fn.inputs.s3Key, object.inputs.key);
        assert.equal(fn.inputs.s3ObjectVersion, `version-of-${object.name}`);
        assert.equal(fn.inputs.memorySize, yamlValue("memorySize"));
      });

      it("passes the table names and Powertools settings to the function", () => {
        const { resources } = get();
        const fn = one(resources, "aws:lambda/function:Function");
        const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        const tables = ofType(resources, "aws:dynamodb/table:Table");
        for (const [key, spec] of Object.entries(TABLES)) {
          assert.equal(variables[spec.env], tables.find((t) => t.name.endsWith(`-tables-${key}`))?.name, `${spec.env} does not name the ${key} table`);
        }
        assert.equal(variables.POWERTOOLS_LOG_LEVEL, yamlValue("logLevel"));
        assert.equal(variables.POWERTOOLS_SERVICE_NAME, "shiftline");
      });

      it("sets Lambda's application log level to the stack's logLevel, so the function logs at that level", () => {
        const fn = one(get().resources, "aws:lambda/function:Function");
        const logging = fn.inputs.loggingConfig as { logFormat: string; applicationLogLevel?: string; systemLogLevel?: string };
        assert.equal(logging.logFormat, "JSON");
        assert.equal(logging.applicationLogLevel, yamlValue("logLevel"));
        assert.equal(logging.systemLogLevel, "INFO");
        // What the service logger then runs at: Lambda passes the application log level as
        // AWS_LAMBDA_LOG_LEVEL (INFO when none is set), and Powertools prefers it over POWERTOOLS_LOG_LEVEL.
        const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        assert.equal(loggerLevelOnLambda(logging.applicationLogLevel ?? "INFO", variables), yamlValue("logLevel"));
      });

      it("creates the log group /aws/lambda/<fn> before the function, with the configured retention", async () => {
        const { resources } = get();
        const fn = one(resources, "aws:lambda/function:Function");
        const group = ofType(resources, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === `/aws/lambda/${String(fn.inputs.name)}`);
        assert.ok(group, "no log group for the function");
        assert.equal(group.inputs.retentionInDays, yamlValue("logRetentionDays"));
        assert.equal((fn.inputs.loggingConfig as { logGroup: string }).logGroup, group.inputs.name);
        const waitsFor = await get().cloud.dependenciesOf(fn.props.loggingConfig);
        assert.ok(waitsFor.some((r) => r.type === group.type && r.name === group.name), "the function's loggingConfig does not wait for the log group resource");
      });

      it("keeps every stage's execution and access logs for the configured days", () => {
        const { resources } = get();
        const groups = ofType(resources, "aws:cloudwatch/logGroup:LogGroup");
        for (const stage of Object.keys(yamlValue("stages") as object)) {
          const execution = groups.find((g) => String(g.inputs.name).startsWith("API-Gateway-Execution-Logs_") && String(g.inputs.name).endsWith(`/${stage}`));
          assert.ok(execution, `no execution log group for stage ${stage}`);
          assert.equal(execution.inputs.retentionInDays, yamlValue("logRetentionDays"));
          assert.ok(groups.some((g) => g.name.endsWith(`-${stage}-access-logs`) && g.inputs.retentionInDays === yamlValue("logRetentionDays")));
        }
      });

      it("grants the function only its log group and the DynamoDB actions the handlers call", () => {
        const { resources } = get();
        const doc = parsePolicy(one(resources.filter((r) => r.parent?.type === "shiftline:compute:LambdaService"), "aws:iam/rolePolicy:RolePolicy").inputs.policy);
        const logs = doc.Statement.find((s) => s.Sid === "WriteOwnLogs");
        assert.deepEqual(logs?.Resource, `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shiftline-${stack}-api:*`);
        const tables = ofType(resources, "aws:dynamodb/table:Table");
        for (const [key, actions] of Object.entries(TABLE_ACTIONS)) {
          const table = tables.find((t) => t.name.endsWith(`-${key}`)) as CapturedResource;
          const statement = doc.Statement.find((s) => s.Resource === `arn:aws:dynamodb:eu-west-1:123456789012:table/${table.name}`);
          assert.deepEqual(statement?.Action, [...actions]);
        }
        assert.equal(doc.Statement.length, 1 + Object.keys(TABLE_ACTIONS).length);
      });

      it("grants no wildcard action, attaches no managed policy, and uses a wildcard resource only where AWS names it at run time", () => {
        const { resources } = get();
        // Justified patterns: the function's own log streams, and (where this stack owns the API Gateway
        // account setting) API Gateway's own log groups, which it names itself by API id, plus
        // DescribeLogGroups, which has no resource type and so only takes "*".
        const allowed = [
          `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shiftline-${stack}-api:*`,
          "arn:aws:logs:eu-west-1:123456789012:log-group:API-Gateway-Execution-Logs_*",
          "arn:aws:logs:eu-west-1:123456789012:log-group:API-Gateway-Access-Logs_*",
          "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/welcome:*",
          "*",
        ];
        const documents = [
          ...ofType(resources, "aws:iam/rolePolicy:RolePolicy").map((r) => r.inputs.policy),
          ...ofType(resources, "aws:iam/policy:Policy").map((r) => r.inputs.policy),
          ...ofType(resources, "aws:iam/role:Role").map((r) => r.inputs.assumeRolePolicy),
          ...ofType(resources, "aws:s3/bucketPolicy:BucketPolicy").map((r) => r.inputs.policy),
        ];
        const statements = documents.flatMap((d) => allowStatements(parsePolicy(d)));
        assert.ok(statements.length >= 3);
        for (const statement of statements) {
          for (const action of [statement.Action ?? []].flat()) assert.doesNotMatch(action, /\*/, `Allow of ${action}`);
          for (const resource of [statement.Resource ?? []].flat()) {
            if (resource.includes("*")) assert.ok(allowed.includes(resource), `wildcard resource ${resource} is not one of the justified patterns`);
            if (resource === "*") assert.deepEqual(statement.Action, ["logs:DescribeLogGroups"], "only the list action without a resource type may be granted on *");
          }
        }
        // A managed policy's document cannot be read here, so none may be attached.
        assert.deepEqual(ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn), []);
        assert.deepEqual(ofType(resources, "aws:iam/role:Role").flatMap((r) => (r.inputs.managedPolicyArns as string[] | undefined) ?? []), []);
      });
    });
  }

  it("creates exactly these AWS resources per stack", () => {
    const common = {
      "aws:apigateway/deployment:Deployment": 1,
      "aws:apigateway/methodSettings:MethodSettings": 1,
      "aws:apigateway/restApi:RestApi": 1,
      "aws:apigateway/stage:Stage": 1,
      "aws:cloudwatch/logGroup:LogGroup": 3,
      "aws:cloudwatch/metricAlarm:MetricAlarm": 5,
      "aws:dynamodb/table:Table": 2,
      "aws:lambda/alias:Alias": 1,
      "aws:lambda/function:Function": 1,
      "aws:lambda/permission:Permission": 8,
      "aws:s3/bucket:Bucket": 1,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
      "aws:s3/bucketPolicy:BucketPolicy": 1,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
      "aws:s3/bucketVersioning:BucketVersioning": 1,
      // The package upload: a dynamic resource of @pulumi/pulumi (components/versioned-artifact.ts), not an AWS one.
      "pulumi-nodejs:dynamic/shiftline:VersionedArtifact": 1,
    };
    const awsCounts = (stack: StackName) => countByType((evaluated.get(stack) as Evaluated).resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")));
    assert.deepEqual(awsCounts("staging"), { ...common, "aws:apigateway/account:Account": 1, "aws:iam/role:Role": 2, "aws:iam/rolePolicy:RolePolicy": 2 });
    assert.deepEqual(awsCounts("prod"), { ...common, "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": 1 });
  });

  it("tags every resource AWS lets carry tags: those whose provider schema has tagsAll (where default tags land)", () => {
    // The provider merges its default tags into `tagsAll` of every resource that has tags; a
    // resource without a tags argument (policies, aliases, permissions, settings) carries none.
    // https://www.pulumi.com/registry/packages/aws/api-docs/provider/#defaulttags_nodejs
    const taggable = (type: string): boolean => {
      const [, path] = /^aws:([\w]+\/[\w]+):/.exec(type) ?? [];
      return /readonly tagsAll\b/.test(readFileSync(join(REPO_ROOT, "node_modules", "@pulumi", "aws", `${path}.d.ts`), "utf8"));
    };
    // The package upload (pulumi-nodejs:dynamic) is no aws resource; its S3 object takes no tags from the provider.
    const types = [...new Set(STACKS.flatMap((st) => (evaluated.get(st) as Evaluated).resources.filter((r) => r.custom && r.type.startsWith("aws:")).map((r) => r.type)))].sort();
    assert.deepEqual(types.filter(taggable), [
      "aws:apigateway/restApi:RestApi",
      "aws:apigateway/stage:Stage",
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "aws:dynamodb/table:Table",
      "aws:iam/role:Role",
      "aws:lambda/function:Function",
      "aws:s3/bucket:Bucket",
    ]);
    // No resource sets its own tags, so nothing overrides or duplicates the default tags.
    for (const st of STACKS) for (const r of (evaluated.get(st) as Evaluated).resources) assert.equal(r.inputs.tags, undefined, `${r.type} ${r.name} sets tags`);
  });

  it("protects prod's tables with PITR, deletion protection and protect, and keeps provisioned concurrency warm", () => {
    const { resources } = evaluated.get("prod") as Evaluated;
    for (const table of ofType(resources, "aws:dynamodb/table:Table")) {
      assert.deepEqual(table.inputs.pointInTimeRecovery, { enabled: true });
      assert.equal(table.inputs.deletionProtectionEnabled, true);
      assert.equal(table.protect, true);
      assert.equal(table.inputs.billingMode, "PAY_PER_REQUEST");
      assert.deepEqual(table.inputs.serverSideEncryption, { enabled: true });
    }
    const pc = one(resources, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig");
    const configured = JSON.parse(readStackConfig("prod")["shiftline:provisionedConcurrency"]) as Record<string, number>;
    assert.equal(pc.inputs.qualifier, "live");
    assert.equal(pc.inputs.provisionedConcurrentExecutions, configured.live);
  });

  it("leaves staging's tables unprotected and without provisioned concurrency", () => {
    const { resources } = evaluated.get("staging") as Evaluated;
    for (const table of ofType(resources, "aws:dynamodb/table:Table")) {
      assert.deepEqual(table.inputs.pointInTimeRecovery, { enabled: false });
      assert.equal(table.inputs.deletionProtectionEnabled, false);
      assert.equal(table.protect, false);
    }
    assert.equal(ofType(resources, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").length, 0);
  });

  it("creates the API Gateway account CloudWatch role only in the stack that owns it", () => {
    const staging = (evaluated.get("staging") as Evaluated).resources;
    const prod = (evaluated.get("prod") as Evaluated).resources;
    assert.equal(readStackConfig("staging")["shiftline:manageApiGatewayAccount"], "true");
    assert.equal(ofType(staging, "aws:apigateway/account:Account").length, 1);
    assert.equal(ofType(prod, "aws:apigateway/account:Account").length, 0);
    const stage = one(staging, "aws:apigateway/stage:Stage");
    assert.ok(stage.dependsOn.some((d) => d.type === "aws:apigateway/account:Account"), "staging's stage must wait for the account's CloudWatch role");
    const owned = staging.filter((r) => r.custom && r.parent?.type === "shiftline:api:ApiGatewayAccount");
    assert.equal(owned.length, 3);
    for (const r of owned) assert.equal(r.retainOnDelete, true, `destroying staging would delete ${r.type}, which prod's logging uses`);
  });

  it("lets the account's API Gateway role write both stacks' execution and access logs, and neither function's log group", () => {
    const staging = (evaluated.get("staging") as Evaluated).resources;
    const role = staging.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.parent?.type === "shiftline:api:ApiGatewayAccount") as CapturedResource;
    const doc = parsePolicy(role.inputs.policy);
    const arn = (group: string) => `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:${group}`;
    for (const stack of STACKS) {
      const groups = ofType((evaluated.get(stack) as Evaluated).resources, "aws:cloudwatch/logGroup:LogGroup").map((g) => String(g.inputs.name));
      const [fnGroup, ...apiGroups] = [groups.find((g) => g.startsWith("/aws/lambda/")) as string, ...groups.filter((g) => !g.startsWith("/aws/lambda/"))];
      assert.equal(apiGroups.length, 2, `${stack}: one execution and one access log group`);
      for (const group of apiGroups) {
        for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) assert.ok(allows(doc, action, `${arn(group)}:log-stream:abc`), `${action} on ${group} (${stack})`);
        assert.ok(allows(doc, "logs:CreateLogGroup", arn(group)), `CreateLogGroup ${group}`);
      }
      for (const action of ["logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"]) {
        assert.equal(allows(doc, action, `${arn(fnGroup)}:log-stream:abc`), false, `${action} on ${fnGroup}`);
      }
    }
  });

  it("ignores code changes on the function in release (artifact) mode only", async () => {
    const released = await evaluateProgram("staging", { ...prebuilt, "shiftline:codeDeployment": "release" });
    const fn = one(released.resources, "aws:lambda/function:Function");
    assert.deepEqual([...fn.ignoreChanges].sort(), ["s3Bucket", "s3Key", "s3ObjectVersion", "sourceCodeHash"]);
    assert.equal(releaseContract(released.value).codeDeployment, "release");
    const normal = one((evaluated.get("staging") as Evaluated).resources, "aws:lambda/function:Function");
    assert.deepEqual(normal.ignoreChanges, []);
  });

  it("serves several stages from one API, each through its own alias (one REST API, alias per stage)", async () => {
    const multi = await evaluateProgram("prod", { ...prebuilt, "shiftline:stages": JSON.stringify({ beta: "beta", prod: "live" }), "shiftline:provisionedConcurrency": "{}" });
    const outputs = releaseContract(multi.value);
    assert.deepEqual(outputs.aliases, ["beta", "live"]);
    assert.deepEqual(Object.fromEntries(Object.values(outputs.stages).map((s) => [s.stageName, s.alias])), { beta: "beta", prod: "live" });
    assert.equal(ofType(multi.resources, "aws:apigateway/restApi:RestApi").length, 1);
    const permissions = ofType(multi.resources, "aws:lambda/permission:Permission");
    assert.equal(permissions.length, 16);
    for (const p of permissions) {
      const stage = /\/([\w-]+)\/(?:GET|POST|PUT|PATCH|DELETE|\*)\//.exec(String(p.inputs.sourceArn))?.[1] ?? "";
      assert.equal(p.inputs.qualifier, { beta: "beta", prod: "live" }[stage], `${p.name} invokes the wrong alias`);
    }
  });

  it("creates the release step's deployer role only when shiftline:deployer is set, scoped to this stack", async () => {
    const deployer = { repository: "acme/shiftline", environment: "prod", oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` };
    const withRole = await evaluateProgram("prod", { ...prebuilt, "shiftline:deployer": JSON.stringify(deployer) });
    const component = one(withRole.resources, "shiftline:ci:DeployerRole");
    assert.equal(component.parent?.type, "shiftline:app:ShiftlineStack");
    const policy = one(withRole.resources.filter((r) => r.parent?.name === component.name), "aws:iam/rolePolicy:RolePolicy");
    const resources = allowStatements(parsePolicy(policy.inputs.policy)).flatMap((s) => [s.Resource ?? []].flat());
    const fnArn = `arn:aws:lambda:${readStackConfig("prod")["aws:region"]}:${MOCK_ACCOUNT}:function:shiftline-prod-api`;
    assert.ok(resources.includes(`${fnArn}:live`), `the policy must name the live alias of this stack's function; got ${resources.join(", ")}`);
    // The function's own log group, /aws/lambda/<fn>, for Live Tail: this stack's too.
    const logGroup = `arn:aws:logs:${readStackConfig("prod")["aws:region"]}:${MOCK_ACCOUNT}:log-group:/aws/lambda/shiftline-prod-api`;
    assert.ok(resources.every((r) => r === "*" || r.startsWith(fnArn) || r.includes(":alarm:") || r.startsWith("arn:aws:s3:::") || r === logGroup || r === `${logGroup}:*`), `a resource outside this stack: ${resources.join(", ")}`);
    assert.match(String(withRole.value.deployerRoleArn), /^arn:aws:iam::/);

    const without = evaluated.get("prod") as Evaluated;
    assert.equal(ofType(without.resources, "shiftline:ci:DeployerRole").length, 0);
    assert.equal(without.value.deployerRoleArn, undefined);
  });
});
