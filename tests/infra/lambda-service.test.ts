import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LambdaService, resolveLambdaServiceArgs, type LambdaServiceArgs } from "../../components/lambda-service";
import { resolveAliasAlarmsArgs } from "../../components/alias-alarms";
import { evaluate, MockCloud, ofType, unwrap, type CapturedResource } from "./mocks";
import { parsePolicy } from "./policy-reading";
import { problemsOf } from "../helpers/problems";

const TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/todos";
const base = (over: Partial<LambdaServiceArgs> = {}): LambdaServiceArgs => ({
  functionName: "shiftline-test-api",
  code: { bucket: pulumi.output("artifacts"), key: pulumi.output("functions/api/abc.zip"), versionId: pulumi.output("v7"), sha256Base64: "q".repeat(43) + "=" },
  aliases: ["live", "beta"],
  provisionedConcurrency: { live: 3 },
  tables: { todos: { arn: TABLE_ARN, actions: ["dynamodb:PutItem", "dynamodb:GetItem"] } },
  alarms: { p99DurationMs: 2500 },
  ...over,
});

const problems = (fn: () => unknown): string[] => {
  return problemsOf(() => fn());
};

describe("LambdaService", () => {
  describe("argument validation", () => {
    const cases: Array<[string, Partial<LambdaServiceArgs>, RegExp]> = [
      ["a function name with spaces", { functionName: "my api" }, /^functionName = "my api": must be 1-64 letters/],
      ["memory below Lambda's minimum", { memorySize: 100 }, /^memorySize = 100: must be a whole number of MB between 128 and 10240/],
      ["a timeout above Lambda's maximum", { timeoutSeconds: 901 }, /^timeoutSeconds = 901: must be a whole number of seconds between 1 and 900/],
      ["no aliases", { aliases: [], provisionedConcurrency: {} }, /^aliases = \[\]: at least one alias is needed/],
      ["an alias listed twice", { aliases: ["live", "live"] }, /^aliases = \["live","live"\]: each alias may be listed once/],
      ["an alias that reads as a version", { aliases: ["live", "12"] }, /^aliases = "12": an alias name is/],
      ["provisioned concurrency on a missing alias", { provisionedConcurrency: { blue: 1 } }, /^provisionedConcurrency\.blue = 1: must name one of the aliases \(live, beta\)/],
      ["zero provisioned concurrency", { provisionedConcurrency: { live: 0 } }, /^provisionedConcurrency\.live = 0: must be a whole number of executions, at least 1/],
      ["a wildcard table action", { tables: { todos: { arn: TABLE_ARN, actions: ["dynamodb:*"] } } }, /^tables\.todos\.actions = "dynamodb:\*": must be one explicit DynamoDB action/],
      ["a table with no actions", { tables: { todos: { arn: TABLE_ARN, actions: [] } } }, /^tables\.todos\.actions = \[\]: list the DynamoDB actions/],
      ["a retention CloudWatch does not offer", { logRetentionDays: 10 }, /^logRetentionDays = 10: must be a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14/],
      ["a log level Lambda does not know", { logLevel: "VERBOSE" as never }, /^logLevel = "VERBOSE": must be one of Lambda's application log levels: TRACE, DEBUG, INFO, WARN, ERROR, FATAL/],
      ["a p99 alarm at the timeout", { timeoutSeconds: 2, alarms: { p99DurationMs: 2000 } }, /^alarms\.p99DurationMs = 2000: must be below the timeout \(2000 ms\)/],
    ];
    for (const [name, over, pattern] of cases) {
      it(`rejects ${name}, naming the field and rule`, () => {
        const found = problems(() => resolveLambdaServiceArgs(base(over)));
        assert.ok(found.some((m) => pattern.test(m)), `no problem matched ${pattern}; got:\n${found.join("\n")}`);
      });
    }

    it("defaults to index.handler, 256 MB, 10 s, 30-day logs, one alias live and pulumi code deployment", () => {
      const r = resolveLambdaServiceArgs({ functionName: "f", code: base().code });
      assert.deepEqual([r.handler, r.memorySize, r.timeoutSeconds, r.logRetentionDays, r.aliases, r.codeDeployment], ["index.handler", 256, 10, 30, ["live"], "pulumi"]);
    });

    const alarmCases: Array<[string, object, RegExp]> = [
      ["a zero error threshold", { errorsThreshold: 0 }, /^errorsThreshold = 0: must be a whole number, at least 1/],
      ["a 45-second period", { periodSeconds: 45 }, /^periodSeconds = 45: must be a multiple of 60 seconds/],
      ["a 10-second period on one-minute Lambda metrics", { periodSeconds: 10 }, /^periodSeconds = 10: 10, 20 and 30 s periods only evaluate high-resolution custom metrics/],
      ["a window over one day of sub-hour periods", { periodSeconds: 600, evaluationPeriods: 145 }, /^evaluationPeriods = 145: evaluationPeriods × periodSeconds = 145 × 600 = 87000 s, but CloudWatch evaluates at most one day/],
      ["an empty alias", { alias: "" }, /^alias = "": must name the alias to watch/],
    ];
    for (const [name, over, pattern] of alarmCases) {
      it(`rejects alarms with ${name}`, () => {
        const found = problems(() => resolveAliasAlarmsArgs({ functionName: "f", alias: "live", ...over }));
        assert.ok(found.some((m) => pattern.test(m)), found.join("\n"));
      });
    }
  });

  describe("resources", () => {
    let resources: CapturedResource[];
    let cloud: MockCloud;
    let outputs: { latestVersion: string; alarmNames: Record<string, string[]>; aliasNames: string[]; aliases: Record<string, string> };
    before(async () => {
      const run = await evaluate("test", {}, () => {
        const svc = new LambdaService("svc", base());
        return { latestVersion: svc.latestVersion, alarmNames: svc.alarmNames, aliasNames: pulumi.all(svc.aliasNames), aliases: svc.aliases };
      });
      resources = run.resources;
      cloud = run.cloud;
      outputs = run.value;
    });
    const one = (type: string) => {
      const found = ofType(resources, type);
      assert.equal(found.length, 1, type);
      return found[0];
    };

    it("creates each alias at the published version and leaves version and routing to the release step", () => {
      const aliases = ofType(resources, "aws:lambda/alias:Alias");
      assert.deepEqual(aliases.map((a) => a.inputs.name), ["live", "beta"]);
      for (const a of aliases) {
        assert.equal(a.inputs.functionVersion, outputs.latestVersion);
        assert.deepEqual([...a.ignoreChanges].sort(), ["description", "functionVersion", "routingConfig"]);
        assert.equal(a.protect, true);
      }
      assert.deepEqual(outputs.aliasNames, ["live", "beta"]);
      assert.deepEqual(outputs.aliases, { live: "live", beta: "beta" });
    });

    it("keeps provisioned concurrency only on the configured alias", () => {
      const pc = one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig");
      assert.deepEqual([pc.inputs.qualifier, pc.inputs.provisionedConcurrentExecutions, pc.inputs.functionName], ["live", 3, "shiftline-test-api"]);
    });

    it("deploys code from the bucket key and object version, with the zip's hash", () => {
      const fn = one("aws:lambda/function:Function");
      assert.deepEqual([fn.inputs.s3Bucket, fn.inputs.s3Key, fn.inputs.s3ObjectVersion, fn.inputs.sourceCodeHash], ["artifacts", "functions/api/abc.zip", "v7", "q".repeat(43) + "="]);
      assert.deepEqual(fn.ignoreChanges, []);
    });

    it("creates the log group /aws/lambda/<fn> before the function, which logs to it", async () => {
      const fn = one("aws:lambda/function:Function");
      const group = one("aws:cloudwatch/logGroup:LogGroup");
      assert.equal(group.inputs.name, "/aws/lambda/shiftline-test-api");
      assert.deepEqual(fn.inputs.loggingConfig, { logFormat: "JSON", logGroup: "/aws/lambda/shiftline-test-api", applicationLogLevel: "INFO", systemLogLevel: "INFO" });
      const waitsFor = await cloud.dependenciesOf(fn.props.loggingConfig);
      assert.ok(waitsFor.some((r) => r.type === group.type && r.name === group.name), "the function's loggingConfig does not wait for the log group resource");
    });

    it("scopes the role to its log streams and the listed table actions", () => {
      const doc = parsePolicy(one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
      assert.deepEqual(doc.Statement, [
        { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shiftline-test-api:*" },
        { Sid: "Tabletodos", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:GetItem"], Resource: TABLE_ARN },
      ]);
      const trust = parsePolicy(one("aws:iam/role:Role").inputs.assumeRolePolicy);
      assert.deepEqual(trust.Statement[0].Principal, { Service: "lambda.amazonaws.com" });
    });

    it("alarms on errors, throttles and p99 duration of each alias, by its Resource dimension", () => {
      const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
      assert.equal(alarms.length, 6);
      const live = alarms.filter((a) => (a.inputs.dimensions as Record<string, string>).Resource === "shiftline-test-api:live");
      const byMetric = Object.fromEntries(live.map((a) => [a.inputs.metricName, a.inputs]));
      assert.deepEqual(Object.keys(byMetric).sort(), ["Duration", "Errors", "Throttles"]);
      assert.equal(byMetric.Errors.statistic, "Sum");
      assert.equal(byMetric.Duration.extendedStatistic, "p99");
      assert.equal(byMetric.Duration.statistic, undefined);
      assert.equal(byMetric.Duration.threshold, 2500);
      for (const a of live) {
        assert.equal(a.inputs.namespace, "AWS/Lambda");
        assert.equal((a.inputs.dimensions as Record<string, string>).FunctionName, "shiftline-test-api");
        assert.equal(a.inputs.treatMissingData, "notBreaching");
        assert.equal(a.inputs.comparisonOperator, "GreaterThanOrEqualToThreshold");
        assert.equal(a.inputs.period, 60);
        assert.equal(a.inputs.evaluationPeriods, 1);
      }
      assert.deepEqual(outputs.alarmNames.live, live.map((a) => a.name));
    });

    it("needs no Pulumi package but @pulumi/pulumi and @pulumi/aws, so pulumi up downloads no other provider plugin", () => {
      const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies?: Record<string, string> };
      const pulumiPackages = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((d) => d.startsWith("@pulumi/"));
      assert.deepEqual(pulumiPackages.sort(), ["@pulumi/aws", "@pulumi/pulumi"]);
    });

    it("parents every child by its component", () => {
      for (const r of resources.filter((x) => x.parent !== undefined)) {
        const expected = r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" ? "shiftline:monitoring:AliasAlarms" : "shiftline:compute:LambdaService";
        assert.equal(r.parent?.type, expected, r.name);
      }
      assert.deepEqual(resources.filter((x) => x.parent === undefined).map((r) => r.type), ["shiftline:compute:LambdaService"]);
    });
  });

  it("gives Lambda and Powertools the same log level, FATAL being Powertools' CRITICAL", async () => {
    for (const [level, powertools] of [["DEBUG", "DEBUG"], ["WARN", "WARN"], ["FATAL", "CRITICAL"]] as const) {
      const run = await evaluate("test", {}, () => ({ v: new LambdaService("svc", base({ logLevel: level })).latestVersion }));
      const fn = ofType(run.resources, "aws:lambda/function:Function")[0];
      assert.equal((fn.inputs.loggingConfig as { applicationLogLevel: string }).applicationLogLevel, level);
      assert.equal((fn.inputs.environment as { variables: Record<string, string> }).variables.POWERTOOLS_LOG_LEVEL, powertools);
    }
  });

  it("refuses to create the function from a package without a real object version (\"null\" or empty)", async () => {
    for (const versionId of ["null", ""]) {
      const cloud = new MockCloud();
      await pulumi.runtime.setMocks(cloud.mocks, "shiftline", "test", false);
      let s3ObjectVersion: unknown;
      const capture: pulumi.ResourceTransformation = (t) => {
        if (t.type === "aws:lambda/function:Function") s3ObjectVersion = (t.props as Record<string, unknown>).s3ObjectVersion;
        return undefined;
      };
      new LambdaService("svc", base({ code: { ...base().code, versionId: pulumi.output(versionId) } }), { transformations: [capture] });
      await assert.rejects(unwrap(s3ObjectVersion), /^Error: s3ObjectVersion = "(null)?" for function shiftline-test-api: the function's code must name a real S3 object version/);
    }
  });

  it("ignores the code properties in release (artifact) mode", async () => {
    const run = await evaluate("test", {}, () => ({ v: new LambdaService("svc", base({ codeDeployment: "release" })).latestVersion }));
    const fn = ofType(run.resources, "aws:lambda/function:Function")[0];
    assert.deepEqual(fn.ignoreChanges, ["s3Bucket", "s3Key", "s3ObjectVersion", "sourceCodeHash"]);
  });
});
