import assert from "node:assert/strict";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchPort } from "../../../release/aws/cloudwatch";
import { FakeClock } from "../harness";

describe("CloudWatch reads", () => {
  const makeMock = () => mockClient(CloudWatchClient);
  let mock: ReturnType<typeof makeMock>;
  before(() => (mock = makeMock()));
  const port = new CloudWatchPort(new CloudWatchClient({ region: "eu-west-1" }), { clock: new FakeClock(), retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  afterEach(() => mock.reset());
  after(() => mock.restore());

  it("asks DescribeAlarms for at most 100 names per call and follows NextToken, returning every alarm once", async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    mock.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) => {
      // Each batch is answered in two pages of at most 60 alarms.
      const offset = input.NextToken === undefined ? 0 : 60;
      const page = input.AlarmNames.slice(offset, offset + 60);
      return { MetricAlarms: page.map((n) => ({ AlarmName: n, StateValue: "OK" })), NextToken: offset + 60 < input.AlarmNames.length ? "more" : undefined };
    });
    const states = await port.alarmStates(names);
    const batches = mock.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length ?? 0);
    assert.ok(batches.every((n) => n <= 100), `batch sizes ${batches.join(", ")}`);
    assert.deepEqual(states.map((s) => s.name).sort(), [...names].sort());
  });

  it("adds up every GetMetricData page (NextToken) into one sum per query", async () => {
    mock.on(GetMetricDataCommand).callsFake((input: { NextToken?: string }) =>
      input.NextToken === undefined
        ? { MetricDataResults: [{ Id: "errors", Values: [1, 2], StatusCode: "PartialData" }], NextToken: "page-2" }
        : { MetricDataResults: [{ Id: "errors", Values: [4], StatusCode: "Complete" }] },
    );
    const { totals, problems } = await port.sums([{ id: "errors", metricName: "Errors", dimensions: { FunctionName: "fn" } }], new Date(0), new Date(600_000));
    assert.deepEqual(totals, { errors: 7 });
    assert.deepEqual(problems, []);
  });

  it("reports results CloudWatch could not compute instead of counting them as zero", async () => {
    mock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "errors", Values: [], StatusCode: "Forbidden", Messages: [{ Code: "Forbidden", Value: "no access" }] }] });
    const { problems } = await port.sums([{ id: "errors", metricName: "Errors", dimensions: { FunctionName: "fn" } }], new Date(0), new Date(600_000));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /errors: Forbidden/);
  });
});
