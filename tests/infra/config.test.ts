import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { alarmsSchema, apiSchema, loadConfig, projectValues, resolveStackConfig, stackConfigSchema } from "../../components/config";
import { alarmWindowProblem, emfAlarmWindow } from "../../components/alarm-rules";
import { MockCloud } from "./mocks";
import { REPO_ROOT } from "./program";
import { problemsOf } from "../helpers/problems";

const problems = (values: Record<string, unknown>, environment = "staging", region: string | null = "eu-west-1"): string[] => {
  return problemsOf(() => resolveStackConfig(values, environment, region ?? undefined));
};

describe("stack config", () => {
  it("applies every documented default to an empty config", () => {
    const c = resolveStackConfig({}, "staging", "eu-west-1");
    assert.equal(c.codeDeployment, "pulumi");
    assert.equal(c.namePrefix, "shiftline-staging");
    assert.equal(c.memorySize, 256);
    assert.equal(c.timeoutSeconds, 10);
    assert.equal(c.logRetentionDays, 30);
    assert.equal(c.logLevel, "INFO");
    assert.equal(c.serviceName, "shiftline");
    assert.equal(c.metricsNamespace, "Shiftline");
    assert.deepEqual(c.stages, { staging: "live" });
    assert.deepEqual(c.aliases, ["live"]);
    assert.deepEqual(c.provisionedConcurrency, {});
    assert.deepEqual(c.alarms, { errorsThreshold: 1, throttlesThreshold: 1, p99DurationMs: 8000, periodSeconds: 60, evaluationPeriods: 1, serverErrorRatePercent: 5 });
    assert.deepEqual(c.api, { throttlingRateLimit: 100, throttlingBurstLimit: 200, metricsEnabled: true, executionLogLevel: "ERROR" });
    assert.equal(c.manageApiGatewayAccount, false);
    assert.equal(c.artifactNoncurrentDays, 30);
    assert.equal(c.tableProtection, true);
    assert.equal(c.release.strategy, "all-at-once");
    assert.equal(c.deployer, undefined);
    assert.equal(c.artifactManifest, undefined);
  });

  it("derives the p99 alarm from the timeout unless it is set", () => {
    assert.equal(resolveStackConfig({ timeoutSeconds: 5 }, "prod", "eu-west-1").alarms.p99DurationMs, 4000);
    assert.equal(resolveStackConfig({ timeoutSeconds: 5, alarms: { p99DurationMs: 1500 } }, "prod", "eu-west-1").alarms.p99DurationMs, 1500);
  });

  it("keeps a valid deployer setting for the deployer role", () => {
    const deployer = { repository: "acme/shiftline", environment: "prod", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" };
    assert.deepEqual(resolveStackConfig({ deployer }, "prod", "eu-west-1").deployer, deployer);
  });

  it("lists each distinct alias once, in the order the stages name them", () => {
    const c = resolveStackConfig({ stages: { beta: "next", prod: "live", canary: "next" } }, "prod", "eu-west-1");
    assert.deepEqual(c.aliases, ["next", "live"]);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp, string?]> = [
    ["an unknown key", { memorySizeMb: 512 }, /^shiftline:memorySizeMb = 512: unknown setting; remove it or check its spelling/],
    ["an unknown nested key", { alarms: { errors: 1 } }, /^shiftline:alarms\.errors = 1: unknown setting/],
    ["an unknown code deployment mode", { codeDeployment: "cdk" }, /^shiftline:codeDeployment = "cdk": codeDeployment must be pulumi or release/],
    ["a name prefix with dots", { namePrefix: "shift.line" }, /^shiftline:namePrefix = "shift\.line": namePrefix must be 1-34 lowercase letters, digits or hyphens/],
    ["a name prefix in capitals (S3 bucket names are lowercase)", { namePrefix: "Shiftline-Prod" }, /^shiftline:namePrefix = "Shiftline-Prod": namePrefix must be 1-34 lowercase letters/],
    ["a name prefix with an underscore", { namePrefix: "shiftline_prod" }, /^shiftline:namePrefix = "shiftline_prod": namePrefix must be/],
    ["a name prefix too long for the generated IAM role names", { namePrefix: "shiftline-production-eu-west-1-blue" }, /^shiftline:namePrefix = "shiftline-production-eu-west-1-blue": namePrefix must be 1-34/],
    ["a service name that cannot be a tag value", { serviceName: "shift#line" }, /^shiftline:serviceName = "shift#line": serviceName is also every resource's service tag/],
    ["an empty manifest path", { artifactManifest: "" }, /^shiftline:artifactManifest = "": artifactManifest must not be empty/],
    ["memory given as text", { memorySize: "lots" }, /^shiftline:memorySize = "lots": memorySize must be a number: Lambda memory is 128-10240 MB/],
    ["fractional memory", { memorySize: 256.5 }, /^shiftline:memorySize = 256\.5: memorySize must be a whole number/],
    ["too little memory", { memorySize: 64 }, /^shiftline:memorySize = 64: memorySize must be at least 128/],
    ["too much memory", { memorySize: 20_000 }, /^shiftline:memorySize = 20000: memorySize must be at most 10240/],
    ["a manifest path that is not text", { artifactManifest: 5 }, /^shiftline:artifactManifest = 5: artifactManifest must be a file path/],
    ["a zero timeout", { timeoutSeconds: 0 }, /^shiftline:timeoutSeconds = 0: timeoutSeconds must be at least 1/],
    ["a retention given as text", { logRetentionDays: "month" }, /^shiftline:logRetentionDays = "month": logRetentionDays must be a number of days/],
    ["a service name that is not text", { serviceName: 3 }, /^shiftline:serviceName = 3: serviceName must be a string/],
    ["stages given as a single name", { stages: "prod" }, /^shiftline:stages = "prod": stages must map stage names to alias names/],
    ["provisioned concurrency given as a number", { provisionedConcurrency: 2 }, /^shiftline:provisionedConcurrency = 2: provisionedConcurrency must map alias names to counts/],
    ["a zero p99 alarm", { alarms: { p99DurationMs: 0 } }, /^shiftline:alarms\.p99DurationMs = 0: alarms\.p99DurationMs must be at least 1/],
    ["an alarm period given as text", { alarms: { periodSeconds: "1m" } }, /^shiftline:alarms\.periodSeconds = "1m": alarms\.periodSeconds must be a number of seconds/],
    ["a rate limit given as text", { api: { throttlingRateLimit: "fast" } }, /^shiftline:api\.throttlingRateLimit = "fast": api\.throttlingRateLimit must be a number of requests per second/],
    ["a timeout API Gateway cannot wait for", { timeoutSeconds: 60 }, /^shiftline:timeoutSeconds = 60: timeoutSeconds must be at most 29: API Gateway waits at most 29 s/],
    ["a retention CloudWatch does not offer", { logRetentionDays: 10 }, /^shiftline:logRetentionDays = 10: logRetentionDays must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14/],
    ["an unknown log level", { logLevel: "TRACE" }, /^shiftline:logLevel = "TRACE": logLevel must be DEBUG, INFO, WARN or ERROR/],
    ["a log level that would drop the request metrics", { logLevel: "WARN" }, /^shiftline:logLevel = "WARN": logLevel WARN or ERROR would make Lambda drop the function's request metrics/],
    ["an empty service name", { serviceName: "" }, /^shiftline:serviceName = "": serviceName must not be empty/],
    // A tag value may be any Unicode letter, a CloudWatch dimension value only ASCII (API_Dimension).
    ["a service name that is no CloudWatch dimension value", { serviceName: "やることリスト" }, /^shiftline:serviceName = "やることリスト": serviceName is also the service dimension of the request metrics, and CloudWatch dimension values must be ASCII only/],
    ["a metrics namespace reserved for AWS", { metricsNamespace: "AWS/Lambda" }, /^shiftline:metricsNamespace = "AWS\/Lambda": metricsNamespace must be 1-255 printable ASCII characters, not starting with "AWS\/"/],
    ["an empty metrics namespace", { metricsNamespace: "" }, /^shiftline:metricsNamespace = "": metricsNamespace must be 1-255/],
    ["a metrics namespace with a control character", { metricsNamespace: "Ship\tline" }, /^shiftline:metricsNamespace = "Ship\\tline": metricsNamespace must be/],
    ["a metrics namespace starting with a colon", { metricsNamespace: ":x" }, /^shiftline:metricsNamespace = ":x": metricsNamespace must be/],
    ["a zero server-error rate", { alarms: { serverErrorRatePercent: 0 } }, /^shiftline:alarms.serverErrorRatePercent = 0: alarms.serverErrorRatePercent must be a percentage above 0 and at most 100/],
    ["a stage name with a space", { stages: { "pro d": "live" } }, /^shiftline:stages\.pro d = "pro d": a stage name is 1-128 letters/],
    ["an alias that reads as a version", { stages: { prod: "7" } }, /^shiftline:stages\.prod = "7": an alias name is 1-128 letters, digits, hyphens or underscores and not only digits/],
    ["provisioned concurrency on an alias that reads as a version", { provisionedConcurrency: { "7": 1 } }, /^shiftline:provisionedConcurrency\.7 = "7": an alias name is/],
    ["no stages", { stages: {} }, /^shiftline:stages = \{\}: stages needs at least one stage/],
    ["zero provisioned concurrency", { provisionedConcurrency: { live: 0 } }, /^shiftline:provisionedConcurrency\.live = 0: provisionedConcurrency must be at least 1/],
    ["provisioned concurrency on an alias no stage serves", { provisionedConcurrency: { blue: 2 } }, /^shiftline:provisionedConcurrency\.blue = 2: no stage serves alias blue \(aliases: live\)/],
    ["a zero error threshold", { alarms: { errorsThreshold: 0 } }, /^shiftline:alarms\.errorsThreshold = 0: alarms\.errorsThreshold must be at least 1/],
    ["a zero throttle threshold", { alarms: { throttlesThreshold: 0 } }, /^shiftline:alarms\.throttlesThreshold = 0: alarms\.throttlesThreshold must be at least 1/],
    ["an alarm period CloudWatch rejects", { alarms: { periodSeconds: 45 } }, /^shiftline:alarms\.periodSeconds = 45: alarms\.periodSeconds must be a multiple of 60 seconds/],
    ["zero evaluation periods", { alarms: { evaluationPeriods: 0 } }, /^shiftline:alarms\.evaluationPeriods = 0: alarms\.evaluationPeriods must be at least 1/],
    ["a p99 alarm at or above the timeout", { timeoutSeconds: 3, alarms: { p99DurationMs: 3000 } }, /^shiftline:alarms\.p99DurationMs = 3000: must be below the timeout \(3000 ms\)/],
    ["a negative rate limit", { api: { throttlingRateLimit: -1 } }, /^shiftline:api\.throttlingRateLimit = -1: api\.throttlingRateLimit cannot be negative/],
    ["a rate limit above the account quota", { api: { throttlingRateLimit: 20_000 } }, /^shiftline:api\.throttlingRateLimit = 20000: .*at most 10000/],
    ["a fractional burst", { api: { throttlingBurstLimit: 1.5 } }, /^shiftline:api\.throttlingBurstLimit = 1\.5: api\.throttlingBurstLimit must be a whole number/],
    ["metrics given as text", { api: { metricsEnabled: "yes" } }, /^shiftline:api\.metricsEnabled = "yes": api\.metricsEnabled must be true or false/],
    ["an unknown execution log level", { api: { executionLogLevel: "DEBUG" } }, /^shiftline:api\.executionLogLevel = "DEBUG": api\.executionLogLevel must be OFF, ERROR or INFO/],
    ["account ownership given as text", { manageApiGatewayAccount: "yes" }, /^shiftline:manageApiGatewayAccount = "yes": manageApiGatewayAccount must be true or false/],
    ["zero noncurrent days", { artifactNoncurrentDays: 0 }, /^shiftline:artifactNoncurrentDays = 0: artifactNoncurrentDays must be at least 1/],
    ["table protection given as text", { tableProtection: "on" }, /^shiftline:tableProtection = "on": tableProtection must be true or false/],
    ["a bad release strategy", { release: { strategy: "blue-green" } }, /^shiftline:release\.strategy = "blue-green": strategy must be one of/],
    ["release settings given as a number", { release: 5 }, /^shiftline:release = 5: release must be a map of release settings, e\.g\. \{strategy: canary/],
    ["release steps given as one number", { release: { strategy: "custom", steps: 10 } }, /^shiftline:release\.steps = 10: release\.steps must be a list of steps, e\.g\. \[\{percent: 10/],
    ["a release step given as a bare percentage", { release: { strategy: "custom", steps: [10] } }, /^shiftline:release\.steps\[0\] = 10: each release step must be a map \{percent, bakeSeconds\}/],
    ["health thresholds given as a number", { release: { health: 1 } }, /^shiftline:release\.health = 1: release\.health must be a map of health thresholds/],
    ["a deployer given as text", { deployer: "acme/shiftline" }, /^shiftline:deployer = "acme\/shiftline": (?!Invalid input)./],
    ["a deployer repository without an owner", { deployer: { repository: "shiftline", branch: "main", createOidcProvider: true } }, /^shiftline:deployer\.repository = "shiftline": must be a GitHub repository as owner\/name/],
    ["a deployer trusting no branch or environment", { deployer: { repository: "acme/shiftline", createOidcProvider: true } }, /^shiftline:deployer\.environment = \(missing\): give exactly one of branch/],
    ["a stack name that cannot be the default stage", {}, /^shiftline:stages = \(missing\): the default stage is named after the stack \(qa\.eu\)/, "qa.eu"],
    ["a stack name that cannot prefix the resource names", {}, /^shiftline:namePrefix = \(missing\): the default shiftline-qa\.eu is not a valid name prefix: namePrefix must be/, "qa.eu"],
  ];
  for (const [name, values, pattern, environment] of cases) {
    it(`names the key, value and rule for ${name}`, () => {
      const found = problems(values, environment);
      assert.ok(found.some((m) => pattern.test(m)), `no problem matched ${pattern}; got:\n${found.join("\n")}`);
    });
  }

  // PutMetricAlarm: 10/20/30 s periods only evaluate high-resolution metrics (AWS/Lambda is one-minute),
  // and period × evaluation periods is at most one day below an hour's period, seven days from it.
  const alarmWindows: Array<[string, { periodSeconds?: number; evaluationPeriods?: number }, RegExp | undefined]> = [
    ["a 10 s period", { periodSeconds: 10 }, /^shiftline:alarms\.periodSeconds = 10: alarms\.periodSeconds 10, 20 and 30 s periods only evaluate high-resolution custom metrics; .*INSUFFICIENT_DATA\. Use 60/],
    ["a 20 s period", { periodSeconds: 20 }, /^shiftline:alarms\.periodSeconds = 20: .*high-resolution/],
    ["a 30 s period", { periodSeconds: 30 }, /^shiftline:alarms\.periodSeconds = 30: .*high-resolution/],
    ["a zero period", { periodSeconds: 0 }, /^shiftline:alarms\.periodSeconds = 0: alarms\.periodSeconds must be a multiple of 60/],
    ["a fractional minute", { periodSeconds: 90 }, /^shiftline:alarms\.periodSeconds = 90: .*multiple of 60/],
    ["one minute", { periodSeconds: 60 }, undefined],
    ["a day of one-minute periods", { periodSeconds: 60, evaluationPeriods: 1440 }, /^shiftline:alarms\.evaluationPeriods = 1440: alarms\.evaluationPeriods must be at most 100/],
    ["more than a day of 30-minute periods", { periodSeconds: 1800, evaluationPeriods: 49 }, /^shiftline:alarms\.evaluationPeriods = 49: evaluationPeriods × periodSeconds = 49 × 1800 = 88200 s, but CloudWatch evaluates at most one day \(86400 s\) for a period under an hour; use at most 48 periods/],
    ["exactly a day of 30-minute periods", { periodSeconds: 1800, evaluationPeriods: 48 }, undefined],
    ["100 hourly periods (over a day, under a week)", { periodSeconds: 3600, evaluationPeriods: 100 }, undefined],
    ["more than a week of daily periods", { periodSeconds: 86_400, evaluationPeriods: 8 }, /^shiftline:alarms\.evaluationPeriods = 8: evaluationPeriods × periodSeconds = 8 × 86400 = 691200 s, but CloudWatch evaluates at most seven days \(604800 s\); use at most 7 periods/],
    ["a week of daily periods", { periodSeconds: 86_400, evaluationPeriods: 7 }, undefined],
    ["100 periods of the default minute", { evaluationPeriods: 100 }, undefined],
  ];
  for (const [name, alarms, pattern] of alarmWindows) {
    it(`${pattern ? "rejects" : "accepts"} an alarm window of ${name}${pattern ? ", naming field, value, rule and fix" : ""}`, () => {
      const found = (() => {
        try {
          resolveStackConfig({ alarms }, "staging", "eu-west-1");
          return [];
        } catch {
          return problems({ alarms });
        }
      })();
      if (pattern === undefined) assert.deepEqual(found, []);
      else assert.ok(found.some((m) => pattern.test(m)), `no problem matched ${pattern}; got:\n${found.join("\n")}`);
    });
  }

  it("tags every resource with the service, the environment and the Pulumi stack", () => {
    assert.deepEqual(resolveStackConfig({ serviceName: "todo" }, "prod", "eu-west-1", "shiftline").tags, { service: "todo", environment: "prod", stack: "shiftline/prod" });
  });

  it("refuses aws: settings other than the region, which the program's explicit provider would ignore", () => {
    const found = problemsOf(() => resolveStackConfig({}, "prod", "eu-west-1", "shiftline", { "aws:region": "eu-west-1", "aws:profile": "prod-admin" }));
    assert.deepEqual(found, [
      'aws:profile = "prod-admin": the program\'s AWS provider reads only aws:region, so this would be ignored; remove it (credentials come from the environment, e.g. AWS_PROFILE; tags from shiftline:serviceName and the stack).',
    ]);
  });

  it("requires aws:region and says how to set it", () => {
    assert.ok(problems({}, "prod", null).some((m) => /^aws:region = \(missing\): the AWS region is required, e\.g\. `pulumi config set aws:region eu-west-1`/.test(m)));
  });

  it("reports every problem at once", () => {
    const found = problems({ memorySize: 1, logLevel: "LOUD", bogus: true, api: { metricsEnabled: 1 } }, "prod", null);
    assert.equal(found.length, 5, found.join("\n"));
  });

  it("checks the rules that span keys even when another key is invalid", () => {
    const found = problems({ memorySize: 1, provisionedConcurrency: { blue: 2 }, timeoutSeconds: 2, alarms: { p99DurationMs: 2500 } });
    assert.ok(found.some((m) => m.startsWith("shiftline:memorySize = 1:")), found.join("\n"));
    assert.ok(found.some((m) => /^shiftline:provisionedConcurrency\.blue = 2: no stage serves alias blue/.test(m)), found.join("\n"));
    assert.ok(found.some((m) => /^shiftline:alarms\.p99DurationMs = 2500: must be below the timeout \(2000 ms\)/.test(m)), found.join("\n"));
  });

  it("leaves a rule that spans keys to the invalid key's own problem", () => {
    const found = problems({ stages: { "pro d": "live" }, provisionedConcurrency: { blue: 2 } });
    assert.ok(found.some((m) => m.startsWith("shiftline:stages.pro d")), found.join("\n"));
    assert.ok(!found.some((m) => m.startsWith("shiftline:provisionedConcurrency.blue")), found.join("\n"));
  });

  it("keeps text settings as text even when they read as JSON", () => {
    const values = projectValues({ "shiftline:serviceName": "123", "shiftline:namePrefix": "true", "shiftline:artifactManifest": "null", "shiftline:memorySize": "512" });
    assert.deepEqual(values, { serviceName: "123", namePrefix: "true", artifactManifest: "null", memorySize: 512 });
    const c = resolveStackConfig(values, "staging", "eu-west-1");
    assert.equal(c.serviceName, "123");
    assert.equal(c.namePrefix, "true");
  });

  it("reads only shiftline: keys and parses JSON values the way Pulumi stores them", () => {
    const values = projectValues({ "aws:region": "eu-west-1", "shiftline:memorySize": "512", "shiftline:logLevel": "WARN", "shiftline:stages": '{"prod":"live"}', "other:memorySize": "1" });
    assert.deepEqual(values, { memorySize: 512, logLevel: "WARN", stages: { prod: "live" } });
  });

  it("loads the running stack's config and names the default stage after the stack", async () => {
    await pulumi.runtime.setMocks(new MockCloud().mocks, "shiftline", "qa", false);
    pulumi.runtime.setAllConfig({ "aws:region": "us-east-2", "shiftline:memorySize": "1024" });
    const c = loadConfig();
    assert.equal(c.environment, "qa");
    assert.equal(c.project, "shiftline");
    assert.deepEqual(c.tags, { service: "shiftline", environment: "qa", stack: "shiftline/qa" });
    assert.equal(c.region, "us-east-2");
    assert.equal(c.memorySize, 1024);
    assert.deepEqual(c.stages, { qa: "live" });
  });

  const settingsRows = (): Map<string, string> => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("<!-- section:infra -->"), readme.indexOf("<!-- /section:infra -->"));
    return new Map([...section.matchAll(/^\| `shiftline:([\w.]+)` \| ([^|]*) \|/gm)].map((m) => [m[1], m[2].trim()]));
  };

  it("documents every setting in the README's stack settings table", () => {
    const expected = [
      ...Object.keys(stackConfigSchema.shape).filter((k) => k !== "alarms" && k !== "api"),
      ...Object.keys(alarmsSchema.shape).map((k) => `alarms.${k}`),
      ...Object.keys(apiSchema.shape).map((k) => `api.${k}`),
    ];
    assert.deepEqual([...settingsRows().keys()].sort(), expected.sort());
  });

  it("states in the README the same literal defaults the config applies", () => {
    const defaults = resolveStackConfig({}, "staging", "eu-west-1") as unknown as Record<string, unknown>;
    let checked = 0;
    for (const [key, documented] of settingsRows()) {
      const literal = /^`([^`<]+)`$/.exec(documented)?.[1];
      if (literal === undefined) continue;
      const value = key.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], defaults);
      assert.equal(literal, typeof value === "object" ? JSON.stringify(value) : String(value), `README default of shiftline:${key}`);
      checked++;
    }
    assert.ok(checked >= 15, `only ${checked} literal defaults were compared`);
  });
});

describe("the EMF alarm's M out of N window", () => {
  // PutMetricAlarm: DatapointsToAlarm ≤ EvaluationPeriods, and Period × EvaluationPeriods within one day (under an hour) or seven days.
  const cases: Array<[number, number, { evaluationPeriods: number; datapointsToAlarm: number }]> = [
    [60, 1, { evaluationPeriods: 3, datapointsToAlarm: 1 }],
    [60, 5, { evaluationPeriods: 7, datapointsToAlarm: 5 }],
    [1800, 48, { evaluationPeriods: 48, datapointsToAlarm: 48 }],
    [1800, 47, { evaluationPeriods: 48, datapointsToAlarm: 47 }],
    [86_400, 7, { evaluationPeriods: 7, datapointsToAlarm: 7 }],
  ];
  for (const [period, m, expected] of cases) {
    it(`${m} of periods of ${period} s → ${expected.datapointsToAlarm} out of ${expected.evaluationPeriods}, within CloudWatch's window`, () => {
      const w = emfAlarmWindow(period, m);
      assert.deepEqual(w, expected);
      assert.ok(w.datapointsToAlarm <= w.evaluationPeriods);
      assert.equal(alarmWindowProblem(period, w.evaluationPeriods), undefined);
    });
  }
});
