/**
 * The release simulator's own sanity: its traffic, routing, metric visibility and alarms behave
 * as its stated assumptions say, and both contenders end with the alias wholly on one version.
 * Statistical checks use fixed seeds and tolerances of several standard deviations.
 */
import assert from "node:assert/strict";
import { GetMetricDataCommand, CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DEFAULT_RETRY } from "../../release/aws/call";
import { LambdaPort } from "../../release/aws/lambda";
import { ReleaseStop } from "../../release/core/outcome";
import { SimAlarms } from "../../bench/release/alarms";
import { StartLiveTailCommand, type StartLiveTailResponseStream } from "@aws-sdk/client-cloudwatch-logs";
import { releaseWithCodeDeploy, SIM_FUNCTION, worldClock } from "../../bench/release/contenders";
import { SimLiveTail } from "../../bench/release/live-tail";
import { simCloudWatchClient, simLambdaClient } from "../../bench/release/sim-aws";
import { simStagePort } from "../../bench/release/stage";
import { HEALTHY, simulate, WORKLOADS } from "../../bench/release/simulate";
import { World, type VersionBehaviour } from "../../bench/release/world";

const START = Date.UTC(2027, 0, 1);
const world = (versions: Record<string, VersionBehaviour>, rps = 10, seed = 1) =>
  new World({ seed, rps, versions, primary: "1", emfDelaySeconds: 10, standardDelaySeconds: 60, startMs: START });
/** GetMetricData Sum over the world's first two minutes, through the simulated CloudWatch. */
const firstTwoMinutes = (w: World) => {
  const cw = simCloudWatchClient(w, SIM_FUNCTION, new SimAlarms(w, SIM_FUNCTION, [])) as unknown as CloudWatchClient;
  return (namespace: string, metricName: string, dimensions: Record<string, string>, period: number) =>
    cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(START),
        EndTime: new Date(START + 120_000),
        MetricDataQueries: [{ Id: "m", MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: period, Stat: "Sum" } }],
      }),
    );
};

const workload = (id: string) => {
  const w = WORKLOADS.find((x) => x.id === id);
  assert.ok(w);
  return w;
};

describe("release simulator", function () {
  this.timeout(20_000);

  it("sends Poisson traffic at the given rate, and its metrics count every request exactly once", () => {
    const w = world({ "1": { ...HEALTHY, unhandledRate: 0.1 } });
    w.advanceTo(START + 1000_000);
    const served = w.served.get("1");
    assert.ok(served);
    // 10 rps for 1000 s: mean 10 000, standard deviation 100.
    assert.ok(Math.abs(served.requests - 10_000) < 500, `${served.requests} requests`);
    const all = w.period(undefined, START, 1000_000, Infinity, "emf");
    assert.equal(all?.requests, served.requests);
    assert.equal((all?.unhandled ?? 0) + (all?.handled ?? 0), served.failed);
    assert.ok(Math.abs(served.failed / served.requests - 0.1) < 0.015);
  });

  it("routes each request by the alias's weights at its arrival", () => {
    const w = world({ "1": HEALTHY, "2": HEALTHY });
    w.writeAlias("1", { "2": 0.1 });
    w.advanceTo(START + 2000_000);
    const onTarget = w.served.get("2")?.requests ?? 0;
    const total = onTarget + (w.served.get("1")?.requests ?? 0);
    // Binomial(20 000, 0.1): standard deviation about 42.
    assert.ok(Math.abs(onTarget / total - 0.1) < 0.01, `${onTarget} of ${total} on the target`);
  });

  it("shows a second of EMF data only after that second's own delay", async () => {
    const w = world({ "1": HEALTHY });
    const query = firstTwoMinutes(w);
    const emf = { service: SIM_FUNCTION.serviceName, FunctionName: SIM_FUNCTION.functionName, Alias: SIM_FUNCTION.aliasName };
    // Each second's own delay: the earliest any second of the first two minutes shows, and when all have.
    const first = Math.floor(START / 1000);
    const visibleAt = Array.from({ length: 120 }, (_, i) => (first + i + 1) * 1000 + w.emfDelayOf(first + i) * 1000);
    w.advanceTo(Math.min(...visibleAt) - 1);
    assert.equal((await query(SIM_FUNCTION.metricsNamespace, "Requests", emf, 1)).MetricDataResults?.[0].Values?.length, 0, "nothing visible before the earliest second's delay has passed");
    w.advanceTo(START + 120_000);
    const shown = (await query(SIM_FUNCTION.metricsNamespace, "Requests", emf, 1)).MetricDataResults?.[0].Values?.length ?? 0;
    const due = visibleAt.filter((t, i) => t <= START + 120_000 && (w.period("1", (first + i) * 1000, 1000, START + 120_000, "emf")?.requests ?? 0) > 0).length;
    assert.equal(shown, due, "exactly the seconds whose own delay has passed (and that had requests)");
  });

  it("shows a standard minute only after the minute and its delay", async () => {
    const w = world({ "1": HEALTHY });
    const query = firstTwoMinutes(w);
    const lambda = { FunctionName: SIM_FUNCTION.functionName, Resource: `${SIM_FUNCTION.functionName}:live` };
    w.advanceTo(START + 119_000);
    assert.equal((await query("AWS/Lambda", "Invocations", lambda, 60)).MetricDataResults?.[0].Values?.length, 0, "the first minute is not visible before 120 s");
    w.advanceTo(START + 120_000);
    assert.equal((await query("AWS/Lambda", "Invocations", lambda, 60)).MetricDataResults?.[0].Values?.length, 1);
    await assert.rejects(query("AWS/Lambda", "Invocations", lambda, 10), /multiple of 60/);
  });

  it("refuses an UpdateAlias with a stale RevisionId, which the real port reports as a concurrent change", async () => {
    const w = world({ "1": HEALTHY, "2": HEALTHY });
    const port = new LambdaPort(simLambdaClient(w, SIM_FUNCTION), { clock: worldClock(w), retry: DEFAULT_RETRY });
    const before = await port.getAlias(SIM_FUNCTION.functionName, "live");
    w.writeAlias("1", { "2": 0.5 });
    await assert.rejects(port.updateAlias(SIM_FUNCTION.functionName, "live", { functionVersion: "2", weights: {}, revisionId: before?.revisionId ?? "" }), (e: unknown) => e instanceof ReleaseStop && e.kind === "conflict");
    assert.deepEqual(w.alias.weights, { "2": 0.5 }, "the other writer's weights stay");
  });

  it("raises a Sum ≥ 1 alarm only once the failing minute is visible", () => {
    const w = world({ "1": { ...HEALTHY, unhandledRate: 1 } });
    const alarms = new SimAlarms(w, SIM_FUNCTION, [{ name: "errors", metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: SIM_FUNCTION.functionName, Resource: `${SIM_FUNCTION.functionName}:live` }, stat: "Sum" }, threshold: 1, periodSeconds: 60, evaluationPeriods: 1 }]);
    w.advanceTo(START + 60_000);
    assert.equal(alarms.states(w.nowMs)[0].state, "OK", "minute 0 is not visible at 60 s");
    w.advanceTo(START + 120_000);
    assert.equal(alarms.states(w.nowMs)[0].state, "ALARM");
  });

  it("models CodeDeploy: a good version promoted after 300 s, a 50%-failing one rolled back within three minutes", () => {
    const good = world({ "1": HEALTHY, "2": HEALTHY });
    good.advanceTo(START + 900_000);
    assert.equal(releaseWithCodeDeploy(good, "2").promoted, true);
    assert.deepEqual([good.alias.functionVersion, good.alias.weights], ["2", {}]);
    assert.equal(((good.writes.at(-1)?.atMs ?? 0) - (good.writes[0]?.atMs ?? 0)) / 1000, 300);
    const bad = world({ "1": HEALTHY, "2": { ...HEALTHY, unhandledRate: 0.5 } });
    bad.advanceTo(START + 900_000);
    assert.equal(releaseWithCodeDeploy(bad, "2").promoted, false);
    assert.deepEqual([bad.alias.functionVersion, bad.alias.weights], ["1", {}]);
    assert.ok(((bad.writes.at(-1)?.atMs ?? 0) - (bad.writes[0]?.atMs ?? 0)) / 1000 <= 180);
  });

  it("runs the real release step to a promotion on a good version, ending wholly on it", async () => {
    const r = await simulate(workload("W3"), "shiftline", 1);
    assert.equal(r.promoted, true, r.detail);
    assert.equal(r.failed, 0);
    assert.ok(r.decisionSeconds > 0);
  });

  it("W10: a target Lambda calls healthy but API Gateway answers 502 is rolled back by the stage check at the first step; the CodeDeploy model promotes it", async () => {
    for (const seed of [1, 2, 3]) {
      const r = await simulate(workload("W10"), "shiftline", seed);
      assert.equal(r.promoted, false, r.detail);
      assert.match(r.detail, /^rolled-back \(exit 1\): stage check failed at 10% on stage prod .*API Gateway answered 502/);
      assert.ok(r.decisionSeconds < 30, `${r.decisionSeconds} s`);
      const cd = await simulate(workload("W10"), "codedeploy", seed);
      assert.equal(cd.promoted, true, "its Errors alarm cannot see API Gateway's 502s");
      assert.ok(cd.failed > 10 * r.failed, `${cd.failed} vs ${r.failed}`);
    }
  });

  it("the stage check's requests are real requests of the world: routed, counted and answered per version", async () => {
    const w = world({ "1": HEALTHY, "2": { ...HEALTHY, gatewayErrorRate: 1 } });
    w.advanceTo(START + 60_000);
    const before = w.served.get("1")?.requests ?? 0;
    const port = simStagePort(w);
    const good = await port({ url: "https://x.execute-api.eu-west-1.amazonaws.com/prod/health", timeoutMs: 1000 });
    assert.deepEqual([good.status, good.version, JSON.parse(good.body) as unknown], [200, "1", { status: "ok", functionVersion: "1" }]);
    assert.equal(w.served.get("1")?.requests, before + 1);
    w.writeAlias("2", {});
    const broken = await port({ url: "https://x.execute-api.eu-west-1.amazonaws.com/prod/health", timeoutMs: 1000 });
    assert.deepEqual([broken.status, broken.version, broken.body], [502, undefined, '{"message": "Internal server error"}']);
  });

  it("draws each second's EMF delay from a long tail around the median (log-normal, p99 three times the median), the same on every look", () => {
    const w = world({ "1": HEALTHY });
    const delays = Array.from({ length: 20_000 }, (_, s) => w.emfDelayOf(s)).sort((a, b) => a - b);
    const at = (q: number) => delays[Math.floor(q * delays.length)];
    assert.ok(Math.abs(at(0.5) - 10) < 0.3, `median ${at(0.5)}`);
    assert.ok(Math.abs(at(0.99) - 30) < 2.5, `p99 ${at(0.99)}`);
    assert.equal(w.emfDelayOf(1234), w.emfDelayOf(1234));
  });

  it("stalls the EMF pipeline from the first alias write on when told to", () => {
    const w = new World({ seed: 3, rps: 1, versions: { "1": HEALTHY, "2": HEALTHY }, primary: "1", emfDelaySeconds: 10, standardDelaySeconds: 60, emfStallSeconds: 600, startMs: START });
    w.advanceTo(START + 30_000);
    const before = Math.floor((START + 10_000) / 1000);
    assert.ok(w.emfDelayOf(before) < 600);
    w.writeAlias("1", { "2": 0.1 });
    assert.ok(w.emfDelayOf(before) < 600, "seconds before the write keep their delay");
    assert.equal(w.emfDelayOf(Math.floor((START + 31_000) / 1000)), 600);
  });

  describe("Live Tail", () => {
    const drain = async (live: SimLiveTail, w: World, seconds: number) => {
      const { responseStream } = (await (live.client() as unknown as { send: (c: object) => Promise<{ responseStream: AsyncIterator<StartLiveTailResponseStream> }> }).send(new StartLiveTailCommand({ logGroupIdentifiers: ["g"] })));
      const updates: NonNullable<StartLiveTailResponseStream["sessionUpdate"]>[] = [];
      const first = await responseStream.next();
      assert.ok(first.value?.sessionStart !== undefined, "a session begins with sessionStart");
      const clock = worldClock(w, live);
      const reading = (async () => {
        for (;;) {
          const m = await responseStream.next();
          if (m.done === true) return;
          if (m.value.sessionUpdate !== undefined) updates.push(m.value.sessionUpdate);
        }
      })();
      await clock.sleep(seconds * 1000);
      await responseStream.return?.();
      await reading;
      return updates;
    };

    it("sends one update a second, holding each request's document and Lambda's report once, within its delivery delay", async () => {
      const w = world({ "1": HEALTHY }, 10, 4);
      w.advanceTo(START + 60_000);
      const live = new SimLiveTail(w, SIM_FUNCTION, 4);
      const served: number[] = [];
      w.listeners.push((atMs) => served.push(atMs));
      const updates = await drain(live, w, 60);
      assert.equal(updates.length, 60);
      const events = updates.flatMap((u) => u.sessionResults ?? []);
      const documents = events.filter((e) => (e.message ?? "").includes('"Requests":1'));
      const reports = events.filter((e) => (e.message ?? "").includes("platform.report"));
      const delivered = served.filter((t) => t < START + 110_000); // requests whose events are surely delivered by the end
      // Each event has its own delay, so the last seconds' documents and reports may still be on their way.
      for (const [what, n] of [["documents", documents.length], ["reports", reports.length]] as const) assert.ok(n >= delivered.length && n <= served.length, `${n} ${what} for ${served.length} requests`);
      assert.equal(new Set(documents.map((e) => e.message)).size, documents.length, "no document twice");
      assert.ok(updates.every((u) => u.sessionMetadata?.sampled === false));
    });

    it("samples an update down to 500 events beyond 500 a second, and says so", async () => {
      const w = world({ "1": HEALTHY }, 1000, 4);
      w.advanceTo(START + 10_000);
      const live = new SimLiveTail(w, SIM_FUNCTION, 4);
      const updates = await drain(live, w, 10);
      const full = updates.filter((u) => u.sessionMetadata?.sampled === true);
      assert.ok(full.length >= 5, `${full.length} sampled updates`);
      assert.ok(full.every((u) => u.sessionResults?.length === 500));
    });
  });

  it("is reproducible: the same seed gives the same run", async () => {
    const a = await simulate(workload("W1"), "codedeploy", 7);
    const b = await simulate(workload("W1"), "codedeploy", 7);
    assert.deepEqual(a, b);
  });
});
