import assert from "node:assert/strict";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { Metrics, MetricResolution, MetricUnit } from "@aws-lambda-powertools/metrics";
import { mockClient } from "aws-sdk-client-mock";
import type { Context } from "aws-lambda";
import { createApiHandler } from "../../lambda-src/app";
import { aliasOf, createRequestMetrics, DIRECT_VERSION, UNQUALIFIED, type RequestOutcome } from "../../lambda-src/metrics";
import { CapturingLogger, type LogLine } from "../helpers/capture-logger";
import { emfDocuments, metricValues } from "../helpers/emf";
import { apiEvent, lambdaContext, postTodo } from "../helpers/events";
import { stdoutOf } from "../helpers/stdout";


const ARN = "arn:aws:lambda:eu-west-1:123456789012:function:shiftline-api";

describe("request metrics (EMF)", () => {
  describe("the alias an invocation came through, from invokedFunctionArn", () => {
    const table: [string, string][] = [
      [`${ARN}:live`, "live"],
      [`${ARN}:staging-live`, "staging-live"],
      [`${ARN}:7`, DIRECT_VERSION],
      [`${ARN}:$LATEST`, UNQUALIFIED],
      [ARN, UNQUALIFIED],
    ];
    for (const [arn, alias] of table) it(`${arn.slice(ARN.length) || "(no qualifier)"} → ${alias}`, () => assert.equal(aliasOf(arn), alias));
  });

  function publish(outcome: Partial<RequestOutcome>) {
    const metrics = createRequestMetrics({ namespace: "ShiftlineTest", serviceName: "shiftline-api" });
    const out = stdoutOf(() => metrics.publish({ functionName: "shiftline-api", invokedFunctionArn: `${ARN}:live`, functionVersion: "7", statusCode: 200, latencyMs: 12.345, ...outcome }));
    assert.doesNotMatch(out, /warn|already|collision/i, "Powertools warns about nothing");
    const docs = emfDocuments(out);
    assert.equal(docs.length, 1, `one EMF document per invocation, got:\n${out}`);
    return docs[0];
  }

  it("writes one document per invocation with the alias × version and alias dimension sets, all at 1 s resolution", () => {
    const doc = publish({});
    assert.equal(doc.namespace, "ShiftlineTest");
    assert.deepEqual(doc.dimensionSets.map((s) => [...s].sort()), [
      ["Alias", "FunctionName", "Version", "service"],
      ["Alias", "FunctionName", "service"],
    ]);
    assert.deepEqual(doc.dimensions, { service: "shiftline-api", FunctionName: "shiftline-api", Alias: "live", Version: "7" });
    for (const m of doc.metrics) assert.equal(m.storageResolution, 1, `${m.name} is high resolution`);
    assert.deepEqual(Object.fromEntries(doc.metrics.map((m) => [m.name, m.unit])), { Requests: "Count", ServerErrors: "Count", ClientErrors: "Count", Latency: "Milliseconds" });
    assert.deepEqual(metricValues(doc), { Requests: 1, ServerErrors: 0, ClientErrors: 0, Latency: 12.35 });
  });

  const outcomes: [string, number | undefined, { ServerErrors: number; ClientErrors: number }][] = [
    ["a 201", 201, { ServerErrors: 0, ClientErrors: 0 }],
    ["a 404", 404, { ServerErrors: 0, ClientErrors: 1 }],
    ["a 409", 409, { ServerErrors: 0, ClientErrors: 1 }],
    ["a handled 500", 500, { ServerErrors: 1, ClientErrors: 0 }],
    ["a handled 503", 503, { ServerErrors: 1, ClientErrors: 0 }],
    ["a thrown error (no status)", undefined, { ServerErrors: 1, ClientErrors: 0 }],
  ];
  for (const [what, statusCode, expected] of outcomes) {
    it(`counts ${what} as ${expected.ServerErrors ? "a server error" : expected.ClientErrors ? "a client error" : "neither error"}`, () => {
      const values = metricValues(publish({ statusCode }));
      assert.equal(values.Requests, 1);
      assert.equal(values.ServerErrors, expected.ServerErrors);
      assert.equal(values.ClientErrors, expected.ClientErrors);
    });
  }

  it("writes, byte for byte apart from the Timestamp, what Powertools' own publishStoredMetrics writes for each invocation", () => {
    // The reference: the four metrics added and published through Powertools on every call.
    const reference = (alias: string, version: string, values: readonly [number, number, number, number]) => {
      const m = new Metrics({ namespace: "ShiftlineTest", serviceName: "shiftline-api", defaultDimensions: { FunctionName: "shiftline-api", Alias: alias } });
      m.addDimension("Version", version);
      m.addDimensions({});
      m.addMetric("Requests", MetricUnit.Count, values[0], MetricResolution.High);
      m.addMetric("ServerErrors", MetricUnit.Count, values[1], MetricResolution.High);
      m.addMetric("ClientErrors", MetricUnit.Count, values[2], MetricResolution.High);
      m.addMetric("Latency", MetricUnit.Milliseconds, values[3], MetricResolution.High);
      return stdoutOf(() => m.publishStoredMetrics());
    };
    const metrics = createRequestMetrics({ namespace: "ShiftlineTest", serviceName: "shiftline-api" });
    const cases: [string, string, number | undefined, number, readonly [number, number, number, number]][] = [
      [`${ARN}:live`, "7", 200, 12.345, [1, 0, 0, 12.35]],
      [`${ARN}:live`, "7", 409, 3, [1, 0, 1, 3]],
      [`${ARN}:live`, "7", undefined, 0.004, [1, 1, 0, 0]],
      [`${ARN}:8`, "8", 503, 1001.1, [1, 1, 0, 1001.1]],
      [ARN, "$LATEST", 200, 7.5, [1, 0, 0, 7.5]],
    ];
    const noTimestamp = (out: string) => out.replace(/"Timestamp":\d+/, '"Timestamp":0');
    for (const [arn, version, statusCode, latencyMs, values] of cases) {
      const ours = stdoutOf(() => metrics.publish({ functionName: "shiftline-api", invokedFunctionArn: arn, functionVersion: version, statusCode, latencyMs }));
      assert.equal(noTimestamp(ours), noTimestamp(reference(aliasOf(arn), version, values)), `${arn} ${version} ${statusCode}`);
      assert.ok(Math.abs(Number(/"Timestamp":(\d+)/.exec(ours)?.[1]) - Date.now()) < 60_000, "Timestamp is the time of the invocation");
    }
  });

  it("writes nothing when Powertools metrics are switched off (POWERTOOLS_METRICS_DISABLED)", () => {
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    try {
      const metrics = createRequestMetrics({ namespace: "ShiftlineTest", serviceName: "shiftline-api" });
      assert.equal(stdoutOf(() => metrics.publish({ functionName: "shiftline-api", invokedFunctionArn: `${ARN}:live`, functionVersion: "7", statusCode: 200, latencyMs: 1 })), "");
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    }
  });

  it("carries nothing from one invocation to the next (dimensions are per invocation)", () => {
    const metrics = createRequestMetrics({ namespace: "ShiftlineTest", serviceName: "shiftline-api" });
    const out = stdoutOf(() => {
      metrics.publish({ functionName: "shiftline-api", invokedFunctionArn: `${ARN}:live`, functionVersion: "7", statusCode: 500, latencyMs: 1 });
      metrics.publish({ functionName: "shiftline-api", invokedFunctionArn: `${ARN}:8`, functionVersion: "8", statusCode: 200, latencyMs: 1 });
    });
    const [first, second] = emfDocuments(out);
    assert.equal(second.dimensionSets.length, 2, "no dimension set of the first invocation is repeated");
    assert.deepEqual([first.dimensions.Alias, first.dimensions.Version, second.dimensions.Alias, second.dimensions.Version], ["live", "7", DIRECT_VERSION, "8"]);
    assert.equal(metricValues(second).ServerErrors, 0);
  });
});

describe("the API handler publishes what the caller saw", () => {
  let published: RequestOutcome[];
  let lines: LogLine[];
  // mockClient patches every DynamoDBClient, so it lives only while this block runs.
  let dynamodb: ReturnType<typeof mockClient>;
  before(() => (dynamodb = mockClient(DynamoDBClient)));
  afterEach(() => dynamodb.reset());
  after(() => dynamodb.restore());

  function handler() {
    published = [];
    lines = [];
    const client = new DynamoDBClient({ region: "eu-west-1" });
    return createApiHandler({
      logger: new CapturingLogger(lines),
      dependencies: () => ({ dynamodb: client, tables: { todos: "todos", names: "names" }, now: () => 1 }),
      metrics: { publish: (o) => void published.push(o) },
    });
  }

  it("a 2xx", async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const result = await handler()(postTodo({ todoId: "m-1", title: "x" }), lambdaContext("7"));
    assert.equal(result.statusCode, 200);
    assert.equal(published.length, 1);
    assert.equal(published[0].statusCode, 200);
    assert.equal(published[0].functionVersion, "7");
    assert.ok(published[0].latencyMs >= 0);
  });

  it("a 4xx", async () => {
    const result = await handler()(apiEvent({ method: "GET", url: "/nowhere" }), lambdaContext());
    assert.equal(result.statusCode, 404);
    assert.deepEqual(published.map((p) => p.statusCode), [404]);
  });

  it("a handled 5xx (Lambda would count this invocation as a success)", async () => {
    dynamodb.on(GetItemCommand).rejects(Object.assign(new Error("Requested resource not found"), { name: "ResourceNotFoundException", $metadata: { httpStatusCode: 400 } }));
    const result = await handler()(apiEvent({ method: "GET", url: "/todo/m-2" }), lambdaContext());
    assert.equal(result.statusCode, 500);
    assert.deepEqual(published.map((p) => p.statusCode), [500]);
  });

  it("an invocation that throws, which is still published, then rethrown for Lambda to report", async () => {
    const broken: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => { throw new Error("context is broken"); } };
    await assert.rejects(handler()(apiEvent({ method: "GET", url: "/health" }), broken), /context is broken/);
    assert.deepEqual(published.map((p) => p.statusCode), [undefined]);
  });
});
