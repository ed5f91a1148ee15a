import assert from "node:assert/strict";
import { ROUTES, type Route } from "../../lambda-src/routes";
import { ACCESS_LOG_FORMAT, RestApiStages, resolveRestApiStagesArgs, sourceArnPath, type RestApiStagesArgs } from "../../components/rest-api-stages";
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

    it("builds one resource per distinct path prefix, nested under its parent", () => {
      const resources = ofType(run.resources, "aws:apigateway/resource:Resource");
      assert.deepEqual(resources.map((r) => r.inputs.pathPart).sort(), ["health", "names", "todo", "{todoId}"]);
      const todo = byName(run.resources, "http-resource-todo");
      assert.equal(byName(run.resources, "http-resource-todo-todoId").inputs.parentId, `mocked::${todo.type}::${todo.name}`);
      assert.equal(todo.inputs.parentId, "http-api-root");
    });

    it("sets each stage's lambdaAlias variable to the alias configured for it", () => {
      const stages = ofType(run.resources, "aws:apigateway/stage:Stage");
      assert.deepEqual(Object.fromEntries(stages.map((s) => [s.inputs.stageName, (s.inputs.variables as Record<string, string>).lambdaAlias])), { stage: "STAGE", prod: "PROD" });
    });

    it("writes JSON access logs to a log group with the configured retention", async () => {
      for (const stage of ofType(run.resources, "aws:apigateway/stage:Stage")) {
        const settings = stage.inputs.accessLogSettings as { destinationArn: string; format: string };
        assert.equal(settings.format, ACCESS_LOG_FORMAT);
        assert.equal((JSON.parse(settings.format) as Record<string, string>).requestId, "$context.requestId");
        const group = byName(run.resources, `http-${String(stage.inputs.stageName)}-access-logs`);
        assert.equal(settings.destinationArn, `arn:aws:logs:eu-west-1:123456789012:log-group:${group.name}`);
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
      assert.equal(permissions.length, ROUTES.length * 2);
      const prodHealth = byName(run.resources, "http-permission-prod-GET-health");
      assert.equal(prodHealth.inputs.qualifier, "PROD");
      assert.equal(prodHealth.inputs.function, "shiftline-test-api");
      assert.match(String(prodHealth.inputs.sourceArn), /^arn:aws:execute-api:eu-west-1:123456789012:.+\/prod\/GET\/health$/);
      const stageGet = byName(run.resources, "http-permission-stage-GET-todo-todoId");
      assert.equal(stageGet.inputs.qualifier, "STAGE");
      assert.match(String(stageGet.inputs.sourceArn), /\/stage\/GET\/todo\/\*$/);
      for (const p of permissions) assert.doesNotMatch(String(p.inputs.sourceArn), /\/\*\/\*/);
    });

    it("redeploys through a trigger hash that waits for every method and integration, not dependsOn", async () => {
      const deployment = one(run.resources, "aws:apigateway/deployment:Deployment");
      assert.match(String((deployment.inputs.triggers as Record<string, string>).redeployment), /^[0-9a-f]{64}$/);
      assert.deepEqual(deployment.dependsOn, []);
      const waitsFor = (await run.cloud.dependenciesOf(deployment.props.triggers)).map((r) => r.type);
      assert.equal(waitsFor.filter((t) => t === "aws:apigateway/integration:Integration").length, ROUTES.length);
      assert.equal(waitsFor.filter((t) => t === "aws:apigateway/method:Method").length, ROUTES.length);
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
      }
      assert.ok(!waitsFor.some((n) => n.startsWith("http-permission-stage-")), "stage prod waits for another stage's permissions");
    });

    it("parents every child by the component", () => {
      for (const r of run.resources.filter((x) => x.type !== "shiftline:api:RestApiStages")) {
        assert.deepEqual(r.parent, { type: "shiftline:api:RestApiStages", name: "http" }, `${r.name}`);
      }
    });
  });

  it("changes the deployment hash when a route changes, and only then", async () => {
    const hash = async (routes: readonly Route[]) => (await declare(base({ routes }))).value.definitionHash;
    const original = await hash(ROUTES);
    assert.equal(await hash(ROUTES), original);
    assert.notEqual(await hash([...ROUTES, { method: "DELETE", path: "/todo/{todoId}", handler: "getTodo", function: "api", summary: "x" }]), original);
  });
});

function one(resources: readonly CapturedResource[], type: string): CapturedResource {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `expected one ${type}`);
  return found[0];
}
