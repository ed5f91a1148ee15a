import assert from "node:assert/strict";
import { ROUTES, type Route } from "../../lambda-src/routes";
import { createHash } from "node:crypto";
import { RestApiStages, resolveRestApiStagesArgs, sourceArnPath, type RestApiStagesArgs } from "../../components/rest-api-stages";
import { evaluate, ofType, unwrap, type CapturedResource } from "./mocks";
import { problemsOf } from "../helpers/problems";

const FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:shiftline-test-api";
const base = (over: Partial<RestApiStagesArgs> = {}): RestApiStagesArgs => ({
  routes: ROUTES,
  functionArn: FN_ARN,
  functionName: "shiftline-test-api",
  region: "eu-west-1",
  stages: { stage: "STAGE", prod: "PROD" },
  aliases: { STAGE: "STAGE", PROD: "PROD" },
  ...over,
});

async function declare(args: RestApiStagesArgs) {
  let api: RestApiStages | undefined;
  const run = await evaluate("test", {}, () => {
    api = new RestApiStages("http", args);
    return { stages: api.stages, definitionHash: api.definitionHash };
  });
  return { ...run, api: api as RestApiStages };
}

const byName = (resources: readonly CapturedResource[], name: string) => resources.find((r) => r.name === name) as CapturedResource;

describe("RestApiStages", () => {
  describe("argument validation", () => {
    const problems = (args: RestApiStagesArgs): string[] => {
      return problemsOf(() => resolveRestApiStagesArgs(args));
    };
    const dup: Route = { ...ROUTES[0] };
    const cases: Array<[string, Partial<RestApiStagesArgs>, RegExp]> = [
      ["no routes", { routes: [] }, /^routes = \[\]: at least one route is needed/],
      ["a route listed twice", { routes: [ROUTES[0], dup] }, /^routes\[1\] = "POST \/todo": each method and path may appear once/],
      ["a path with a bad segment", { routes: [{ ...ROUTES[0], path: "/todo//x" }] }, /^routes\[0\]\.path = "\/todo\/\/x": must be \/segment\/\{param\}/],
      ["a stage whose alias does not exist", { stages: { prod: "BLUE" } }, /^stages\.prod = "BLUE": selects an alias that does not exist \(aliases: STAGE, PROD\)/],
      ["a stage name with a dot", { stages: { "v1.0": "PROD" } }, /^stages\.v1\.0 = "v1\.0": a stage name is 1-128 letters/],
      ["no stages", { stages: {} }, /^stages = \{\}: at least one stage is needed/],
      ["a negative rate limit", { throttlingRateLimit: -5 }, /^throttlingRateLimit = -5: must be a number of requests per second/],
      ["a fractional burst", { throttlingBurstLimit: 2.5 }, /^throttlingBurstLimit = 2\.5: must be a whole number/],
      ["a retention CloudWatch does not offer", { logRetentionDays: 10 }, /^logRetentionDays = 10: must be a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14/],
      ["an unknown execution log level", { executionLogLevel: "DEBUG" as "INFO" }, /^executionLogLevel = "DEBUG": must be OFF, ERROR or INFO\./],
      [
        "two paths that give one resource name",
        { routes: [{ ...ROUTES[0], path: "/a-b" }, { ...ROUTES[0], path: "/a/b" }] },
        /^routes = \["\/a-b","\/a\/b"\]: these paths give the same resource name; rename one/,
      ],
    ];
    for (const [name, over, pattern] of cases) {
      it(`rejects ${name}, naming the field and rule`, () => {
        const found = problems(base(over));
        assert.ok(found.some((m) => pattern.test(m)), `no problem matched ${pattern}; got:\n${found.join("\n")}`);
      });
    }

    it("defaults throttling, metrics, logging level and retention", () => {
      const r = resolveRestApiStagesArgs(base());
      assert.deepEqual(
        [r.throttlingRateLimit, r.throttlingBurstLimit, r.metricsEnabled, r.executionLogLevel, r.logRetentionDays],
        [100, 200, true, "ERROR", 30],
      );
    });
  });

  const arnPaths: Array<[string, string]> = [
    ["/todo/{todoId}", "todo/*"],
    ["/names", "names"],
    ["/a/{b}/c/{d}", "a/*/c/*"],
  ];
  for (const [path, expected] of arnPaths) {
    it(`scopes the permission for ${path} to ${expected}`, () => assert.equal(sourceArnPath(path), expected));
  }

  describe("two stages on one API, each on its own alias", () => {
    let run: Awaited<ReturnType<typeof declare>>;
    before(async () => {
      run = await declare(base({ throttlingRateLimit: 7, throttlingBurstLimit: 9, logRetentionDays: 14 }));
    });

    const body = () => JSON.parse(String(one(run.resources, "aws:apigateway/restApi:RestApi").inputs.body)) as OpenApiDoc;
    const INTEGRATION = {
      type: "aws_proxy",
      httpMethod: "POST",
      uri: "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shiftline-test-api:${stageVariables.lambdaAlias}/invocations",
      passthroughBehavior: "when_no_match",
    };

    it("imports the whole API as one OpenAPI body that replaces the previous one", () => {
      const api = one(run.resources, "aws:apigateway/restApi:RestApi");
      assert.equal(api.inputs.putRestApiMode, "overwrite");
      assert.deepEqual(api.inputs.endpointConfiguration, { types: "REGIONAL" });
      for (const type of ["resource:Resource", "method:Method", "integration:Integration"]) {
        assert.equal(ofType(run.resources, `aws:apigateway/${type}`).length, 0, `no separate ${type} may outlive a deployment`);
      }
    });

    it("serves each route's method through an AWS_PROXY integration on the stage's alias", () => {
      const { paths } = body();
      assert.deepEqual(Object.keys(paths).sort(), ["/health", "/names", "/todo", "/todo/{todoId}"]);
      const served = Object.entries(paths).flatMap(([path, item]) => Object.keys(item).filter((k) => !k.startsWith("x-")).map((m) => `${m.toUpperCase()} ${path}`));
      assert.deepEqual(served.sort(), ["GET /health", "GET /names", "GET /todo/{todoId}", "POST /todo"]);
      assert.deepEqual(paths["/todo"].post["x-amazon-apigateway-integration"], INTEGRATION);
      assert.deepEqual(paths["/todo/{todoId}"].get.parameters, [{ name: "todoId", in: "path", required: true, schema: { type: "string" } }]);
    });

    it("sends any other method on a route's path to the function, which answers 405", () => {
      for (const [path, item] of Object.entries(body().paths)) {
        assert.deepEqual(item["x-amazon-apigateway-any-method"]?.["x-amazon-apigateway-integration"], INTEGRATION, `${path} has no ANY method`);
      }
    });

    it("answers a path no route matches with a JSON 404 instead of 403 Missing Authentication Token", () => {
      const response = body()["x-amazon-apigateway-gateway-responses"].MISSING_AUTHENTICATION_TOKEN;
      assert.equal(response.statusCode, "404");
      assert.equal(response.responseParameters["gatewayresponse.header.Content-Type"], "'application/json'");
      const rendered = response.responseTemplates["application/json"].replace("$context.path", "/prod/nope");
      assert.deepEqual(JSON.parse(rendered), { message: "no route matches /prod/nope", errors: [] });
    });

    it("gives each stage an execution log group with retention, created before the stage and its method settings", () => {
      const api = one(run.resources, "aws:apigateway/restApi:RestApi");
      for (const stageName of ["stage", "prod"]) {
        const group = byName(run.resources, `http-${stageName}-execution-logs`);
        assert.equal(group.inputs.name, `API-Gateway-Execution-Logs_mocked::${api.type}::${api.name}/${stageName}`);
        assert.equal(group.inputs.retentionInDays, 14);
        assert.ok(byName(run.resources, `http-stage-${stageName}`).dependsOn.some((d) => d.name === group.name), `stage ${stageName} does not wait for ${group.name}`);
        assert.ok(byName(run.resources, `http-${stageName}-method-settings`).dependsOn.some((d) => d.name === group.name));
      }
    });

    it("sets each stage's lambdaAlias variable to the alias configured for it", () => {
      const stages = ofType(run.resources, "aws:apigateway/stage:Stage");
      assert.deepEqual(Object.fromEntries(stages.map((s) => [s.inputs.stageName, (s.inputs.variables as Record<string, string>).lambdaAlias])), { stage: "STAGE", prod: "PROD" });
    });

    it("writes JSON access logs to a log group with the configured retention", async () => {
      for (const stage of ofType(run.resources, "aws:apigateway/stage:Stage")) {
        const settings = stage.inputs.accessLogSettings as { destinationArn: string; format: string };
        const format = JSON.parse(settings.format) as Record<string, string>;
        assert.equal(format.requestId, "$context.requestId");
        assert.equal(format.status, "$context.status");
        assert.equal(format.resourcePath, "$context.resourcePath");
        const group = byName(run.resources, `http-${String(stage.inputs.stageName)}-access-logs`);
        // Named so the account's API Gateway CloudWatch role, scoped to API Gateway's own groups, may write it.
        assert.equal(group.inputs.name, `API-Gateway-Access-Logs_http/${String(stage.inputs.stageName)}`);
        assert.equal(settings.destinationArn, `arn:aws:logs:eu-west-1:123456789012:log-group:${String(group.inputs.name)}`);
        assert.equal(group.inputs.retentionInDays, 14);
      }
    });

    it("turns on metrics and throttling for every method of every stage, without data tracing", () => {
      const settings = ofType(run.resources, "aws:apigateway/methodSettings:MethodSettings");
      assert.deepEqual(settings.map((s) => s.inputs.stageName).sort(), ["prod", "stage"]);
      for (const s of settings) {
        assert.equal(s.inputs.methodPath, "*/*");
        assert.deepEqual(s.inputs.settings, { metricsEnabled: true, loggingLevel: "ERROR", dataTraceEnabled: false, throttlingRateLimit: 7, throttlingBurstLimit: 9 });
      }
    });

    it("gives each (stage, route) a permission on that stage's alias with a scoped source ARN", () => {
      const permissions = ofType(run.resources, "aws:lambda/permission:Permission");
      const api = one(run.resources, "aws:apigateway/restApi:RestApi");
      const executionArn = `arn:aws:execute-api:eu-west-1:123456789012:mocked::${api.type}::${api.name}`;
      const sourceArns = (qualifier: string) => permissions.filter((p) => p.inputs.qualifier === qualifier).map((p) => String(p.inputs.sourceArn).replace(executionArn, "")).sort();
      const expected = (stage: string) =>
        [
          `/${stage}/POST/todo`,
          `/${stage}/GET/todo/*`,
          `/${stage}/GET/names`,
          `/${stage}/GET/health`,
          `/${stage}/*/todo`,
          `/${stage}/*/todo/*`,
          `/${stage}/*/names`,
          `/${stage}/*/health`,
        ].sort();
      assert.deepEqual(sourceArns("PROD"), expected("prod"));
      assert.deepEqual(sourceArns("STAGE"), expected("stage"));
      assert.equal(permissions.length, 16);
      for (const p of permissions) {
        assert.equal(p.inputs.function, "shiftline-test-api");
        assert.equal(p.inputs.principal, "apigateway.amazonaws.com");
        assert.doesNotMatch(String(p.inputs.sourceArn), /\/\*\/\*$/);
      }
    });

    it("redeploys through a trigger that is the hash of the OpenAPI body, not dependsOn", async () => {
      const deployment = one(run.resources, "aws:apigateway/deployment:Deployment");
      const api = one(run.resources, "aws:apigateway/restApi:RestApi");
      const sha = createHash("sha256").update(String(api.inputs.body)).digest("hex");
      assert.deepEqual(deployment.inputs.triggers, { redeployment: sha });
      assert.deepEqual(deployment.dependsOn, []);
      assert.ok((await run.cloud.dependenciesOf(deployment.props.restApi)).some((r) => r.name === api.name), "the deployment must wait for the imported body");
    });

    it("reports each stage's invoke URL only once every permission exists", async () => {
      const waitsFor = await run.cloud.dependenciesOf(run.api.stages.prod.invokeUrl);
      const permissions = ofType(run.resources, "aws:lambda/permission:Permission").map((p) => p.name);
      for (const name of permissions) assert.ok(waitsFor.some((r) => r.name === name), `invokeUrl does not wait for ${name}`);
      assert.equal(await unwrap(run.api.ready), true);
    });

    it("creates each stage only after the permissions on its alias exist", async () => {
      const stage = byName(run.resources, "http-stage-prod");
      const waitsFor = (await run.cloud.dependenciesOf(stage.props.variables)).map((r) => r.name);
      for (const route of ROUTES) {
        assert.ok(waitsFor.some((n) => n.startsWith(`http-permission-prod-${route.method}-`)), `stage prod does not wait for its ${route.method} ${route.path} permission`);
        assert.ok(waitsFor.some((n) => n.startsWith("http-permission-prod-ANY-")), "stage prod does not wait for its ANY permissions");
      }
      assert.ok(!waitsFor.some((n) => n.startsWith("http-permission-stage-")), "stage prod waits for another stage's permissions");
    });

    it("parents every child by the component", () => {
      for (const r of run.resources.filter((x) => x.type !== "shiftline:api:RestApiStages")) {
        assert.deepEqual(r.parent, { type: "shiftline:api:RestApiStages", name: "http" }, `${r.name}`);
      }
    });
  });

  it("drops a removed route from the imported API and redeploys, so it cannot stay live", async () => {
    const evaluate = async (routes: readonly Route[]) => {
      const run = await declare(base({ routes }));
      const api = one(run.resources, "aws:apigateway/restApi:RestApi");
      return { hash: run.value.definitionHash, paths: Object.keys((JSON.parse(String(api.inputs.body)) as OpenApiDoc).paths) };
    };
    const all = await evaluate(ROUTES);
    assert.equal((await evaluate(ROUTES)).hash, all.hash, "the same routes give the same hash");
    const fewer = await evaluate(ROUTES.filter((r) => r.path !== "/names"));
    assert.ok(!fewer.paths.includes("/names"));
    assert.notEqual(fewer.hash, all.hash);
    const more = await evaluate([...ROUTES, { method: "DELETE", path: "/todo/{todoId}", handler: "getTodo", function: "api", summary: "x" }]);
    assert.notEqual(more.hash, all.hash);
  });
});

interface OpenApiOperation {
  readonly parameters?: unknown;
  readonly "x-amazon-apigateway-integration"?: unknown;
}
interface OpenApiDoc {
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
  readonly "x-amazon-apigateway-gateway-responses": Record<
    string,
    { statusCode: string; responseParameters: Record<string, string>; responseTemplates: Record<string, string> }
  >;
}

function one(resources: readonly CapturedResource[], type: string): CapturedResource {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `expected one ${type}`);
  return found[0];
}
