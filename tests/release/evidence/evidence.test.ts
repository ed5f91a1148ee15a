/**
 * The evidence gatherer reads exactly the metrics the function writes: its EMF queries are
 * checked against a document lambda-src/metrics.ts really prints (not against a restated list),
 * its Lambda queries against the dimensions AWS documents for per-version metrics.
 */
import assert from "node:assert/strict";
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { createRequestMetrics } from "../../../lambda-src/metrics";
import { DEFAULT_RETRY } from "../../../release/aws/call";
import { CloudWatchPort } from "../../../release/aws/cloudwatch";
import { systemClock } from "../../../release/core/clock";
import { EvidenceGatherer, periodFor } from "../../../release/evidence/request-metrics";
import { emfDocuments } from "../../helpers/emf";

const scope = { functionName: "shiftline-prod-api", alias: "live", target: "8", previous: "7", metrics: { namespace: "Shiftline", serviceName: "shiftline" } };

function written(version: string) {
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string) => ((out += c), true)) as typeof process.stdout.write;
  try {
    createRequestMetrics({ namespace: scope.metrics.namespace, serviceName: scope.metrics.serviceName }).publish({
      functionName: scope.functionName,
      invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${scope.functionName}:${scope.alias}`,
      functionVersion: version,
      statusCode: 200,
      latencyMs: 3,
    });
  } finally {
    process.stdout.write = write;
  }
  const [doc] = emfDocuments(out);
  const set = doc.dimensionSets.find((s) => s.includes("Version")) ?? [];
  return { namespace: doc.namespace, metrics: doc.metrics.map((m) => m.name), dimensions: Object.fromEntries(set.map((d) => [d, doc.dimensions[d]])) };
}

describe("evidence gathering", () => {
  let cw: ReturnType<typeof mockClient>;
  let sent: MetricDataQuery[];
  before(() => (cw = mockClient(CloudWatchClient)));
  after(() => cw.restore());
  beforeEach(() => {
    sent = [];
    cw.reset();
    cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => {
      sent.push(...input.MetricDataQueries);
      return { MetricDataResults: input.MetricDataQueries.map((q) => ({ Id: q.Id, StatusCode: "Complete", Values: q.Id?.endsWith("P99") ? [120] : [3, 4], Timestamps: [] })) };
    });
  });
  const gatherer = () => new EvidenceGatherer(new CloudWatchPort(new CloudWatchClient({ region: "eu-west-1" }), { clock: systemClock, retry: DEFAULT_RETRY }), scope);

  it("queries each version's EMF metrics with the namespace, names and dimension set the function writes", async () => {
    await gatherer().window(new Date(Date.UTC(2027, 0, 1, 12, 0, 30)), new Date(Date.UTC(2027, 0, 1, 12, 3)), 120);
    for (const version of ["8", "7"]) {
      const doc = written(version);
      const emf = sent.filter((q) => q.MetricStat?.Metric?.Namespace === doc.namespace && q.MetricStat.Metric.Dimensions?.some((d) => d.Name === "Version" && d.Value === version));
      assert.deepEqual([...new Set(emf.map((q) => q.MetricStat?.Metric?.MetricName))].sort(), ["Latency", "Requests", "ServerErrors"]);
      for (const q of emf) {
        assert.ok(doc.metrics.includes(q.MetricStat?.Metric?.MetricName ?? ""));
        assert.deepEqual(Object.fromEntries((q.MetricStat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value])), doc.dimensions);
      }
      // TC(x:) counts the values above x, the slow requests (Statistics-definitions).
      assert.ok(emf.some((q) => q.MetricStat?.Stat === "TC(120.000:)"));
    }
  });

  it("queries Lambda's per-version metrics on FunctionName, Resource and ExecutedVersion, at one minute", async () => {
    await gatherer().window(new Date(Date.UTC(2027, 0, 1, 12, 0, 30)), new Date(Date.UTC(2027, 0, 1, 12, 3)), undefined);
    const lambda = sent.filter((q) => q.MetricStat?.Metric?.Namespace === "AWS/Lambda");
    assert.deepEqual(lambda.map((q) => q.MetricStat?.Metric?.MetricName).sort(), ["Errors", "Errors", "Invocations", "Invocations"]);
    for (const q of lambda) {
      const dims = Object.fromEntries((q.MetricStat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      assert.deepEqual(Object.keys(dims).sort(), ["ExecutedVersion", "FunctionName", "Resource"]);
      assert.equal(dims.Resource, "shiftline-prod-api:live");
      assert.equal(q.MetricStat?.Period, 60);
    }
  });

  it("sums the datapoints into counts, and takes the previous version's p99 before the release as the slow threshold", async () => {
    const pre = await gatherer().preRelease(new Date(Date.UTC(2027, 0, 1, 12, 0, 30)), 60);
    assert.equal(pre.latencyThresholdMs, 120);
    assert.equal(pre.previous?.requests, 7);
    assert.equal(pre.previous?.latency?.slowRequests, 7);
    const p99 = sent.find((q) => q.MetricStat?.Stat === "p99");
    assert.equal(p99?.MetricStat?.Period, 3600, "one period over the whole hour");
  });

  // At most 1 440 datapoints; under a minute only while the window starts within the last three hours (MetricStat).
  const periods: [number, number][] = [[60, 1], [1440, 1], [1441, 5], [7200, 5], [7201, 10], [10_000, 10], [10_800, 60], [43_200, 60], [100_000, 120]];
  for (const [windowSeconds, period] of periods) it(`reads a ${windowSeconds} s window at ${period} s periods`, () => assert.equal(periodFor(windowSeconds), period));
  it("reads nothing when no history before the release is asked for (a 0 s period is no period)", async () => {
    assert.deepEqual(await gatherer().preRelease(new Date(Date.UTC(2027, 0, 1, 12)), 0), { problems: [] });
    assert.equal(sent.length, 0);
  });
});
