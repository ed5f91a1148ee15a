/**
 * The live evidence source against CloudWatch Logs' StartLiveTail as its API reference describes
 * it (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html):
 * one sessionStart, then a sessionUpdate every second (an empty array when nothing was ingested),
 * at most 500 events an update with sessionMetadata.sampled set beyond that, SessionTimeoutException
 * after three hours, SessionStreamingException on an unknown error, LimitExceededException and
 * AccessDeniedException on the call itself. The client is the real SDK client under
 * aws-sdk-client-mock; the documents are the function's own (lambda-src/metrics.ts).
 */
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { CloudWatchLogsClient, StartLiveTailCommand, type StartLiveTailResponseStream } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { createRequestMetrics } from "../../../lambda-src/metrics";
import { DEFAULT_RETRY } from "../../../release/aws/call";
import { LogsPort } from "../../../release/aws/logs";
import { filterPatternFor, readEvent, versionOfStream } from "../../../release/evidence/live-tail/document";
import { LiveTailSource } from "../../../release/evidence/live-tail/source";
import { LiveTally } from "../../../release/evidence/live-tail/tally";
import { fakeClock } from "../../helpers/fake-clock";
import { stdoutOf } from "../../helpers/stdout";

const FN = "shiftline-prod-api";
const ARN = `arn:aws:lambda:eu-west-1:123456789012:function:${FN}`;
const GROUP = `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${FN}`;
const T0 = Date.parse("2026-12-07T12:00:00Z");

/** The document the function itself writes for one invocation, at `at`. */
function documentOf(alias: string, version: string, statusCode: number | undefined, latencyMs: number, at: number): string {
  const metrics = createRequestMetrics({ namespace: "Shiftline", serviceName: "shiftline" });
  const realNow = Date.now;
  Date.now = () => at;
  try {
    return stdoutOf(() => metrics.publish({ functionName: FN, invokedFunctionArn: `${ARN}:${alias}`, functionVersion: version, statusCode, latencyMs })).trim();
  } finally {
    Date.now = realNow;
  }
}

/** Lambda's JSON-format report of one invocation (the Lambda guide's JSON system log format). */
const reportOf = (status: string) => JSON.stringify({ time: "2026-12-07T12:00:00.000Z", type: "platform.report", record: { requestId: "r-1", metrics: { durationMs: 3.2, billedDurationMs: 4 }, status } });
const streamOf = (version: string) => `2026/12/07/[${version}]0123456789abcdef0123456789abcdef`;

describe("live evidence: one log event", () => {
  it("reads the function's own document: alias, version, 5xx and latency, by the document's time", () => {
    const ok = readEvent(documentOf("live", "42", 200, 12.5, T0 + 123), streamOf("42"), T0 + 999);
    assert.deepEqual(ok, { kind: "request", at: T0 + 123, alias: "live", version: "42", serverError: false, latencyMs: 12.5 });
    assert.equal((readEvent(documentOf("live", "42", 500, 3, T0), streamOf("42"), T0) as { serverError: boolean }).serverError, true);
    // A thrown error has no status: the function counts it as a server error, and so does this.
    assert.equal((readEvent(documentOf("live", "42", undefined, 3, T0), streamOf("42"), T0) as { serverError: boolean }).serverError, true);
    assert.equal((readEvent(documentOf("live", "42", 404, 3, T0), streamOf("42"), T0) as { serverError: boolean }).serverError, false);
  });

  it("reads Lambda's report as an invocation of the version its log stream names, failed unless its status is success", () => {
    assert.deepEqual(readEvent(reportOf("success"), streamOf("42"), T0), { kind: "report", at: T0, version: "42", failed: false });
    for (const status of ["error", "timeout", "failure"]) assert.equal((readEvent(reportOf(status), streamOf("7"), T0) as { failed: boolean }).failed, true, status);
    assert.equal(versionOfStream(streamOf("$LATEST")), "$LATEST");
  });

  it("ignores what is neither: a text line, other JSON, a report whose stream names no version", () => {
    assert.equal(readEvent("2026-12-07T12:00:00.000Z\tr-1\tINFO\thello", streamOf("42"), T0), undefined);
    assert.equal(readEvent(JSON.stringify({ level: "INFO", message: "created" }), streamOf("42"), T0), undefined);
    assert.equal(readEvent(reportOf("success"), "some-other-stream", T0), undefined);
    assert.equal(readEvent("[1,2]", streamOf("42"), T0), undefined);
  });

  it("asks Live Tail for the alias's documents and every report, refusing an alias name Lambda would not allow", () => {
    assert.equal(filterPatternFor("live"), '{ ($.Alias = "live") || ($.type = "platform.report") }');
    assert.ok(filterPatternFor("live").length <= 1024, "StartLiveTail's logEventFilterPattern is at most 1024 characters");
    assert.throws(() => filterPatternFor('live" || $.x = "'), /alias = .*letters, digits, - and _/);
  });
});

describe("live evidence: counting", () => {
  const add = (t: LiveTally, alias: string, version: string, statusCode: number, latencyMs: number, at: number, sampled = false) => {
    const e = readEvent(documentOf(alias, version, statusCode, latencyMs, at), streamOf(version), at + 5_000);
    assert.ok(e);
    t.add(e, sampled);
  };

  it("counts each version by the time requests were answered, whole seconds before the end, and only the alias's own", () => {
    const t = new LiveTally("live");
    add(t, "live", "42", 200, 10, T0 + 100);
    add(t, "live", "42", 500, 10, T0 + 1_500);
    add(t, "live", "42", 200, 10, T0 + 2_500); // in the second the window's end falls in: not whole yet
    add(t, "beta", "42", 500, 10, T0 + 200); // another alias's request
    add(t, "live", "41", 200, 10, T0 + 300);
    assert.deepEqual(t.figures("42", T0, T0 + 2_700).figures, { requests: 2, serverErrors: 1 });
    assert.deepEqual(t.figures("41", T0, T0 + 2_700).figures, { requests: 1, serverErrors: 0 });
    assert.equal(t.figures("42", T0, T0 + 2_700).sampled, false);
  });

  it("counts a request as slow only when strictly slower than the threshold, as CloudWatch's TC(threshold:) does", () => {
    const t = new LiveTally("live");
    for (const ms of [50, 100, 100.01, 250]) add(t, "live", "42", 200, ms, T0 + 10);
    assert.deepEqual(t.figures("42", T0, T0 + 5_000, 100).figures.latency, { timedRequests: 4, slowRequests: 2 });
  });

  it("marks figures that include a sampled update, and counts only what the sample holds", () => {
    const t = new LiveTally("live");
    add(t, "live", "42", 200, 10, T0 + 10, true);
    add(t, "live", "42", 500, 10, T0 + 20, true);
    const f = t.figures("42", T0, T0 + 5_000);
    assert.deepEqual([f.figures.requests, f.figures.serverErrors, f.sampled], [2, 1, true]);
  });
});

/** A StartLiveTail answer whose stream the test feeds: one item per call of `push`, ended by `end` or `fail`. */
class Stream {
  private readonly queue: Array<StartLiveTailResponseStream | Error | null> = [];
  private wake?: () => void;

  push(item: StartLiveTailResponseStream | Error | null): void {
    this.queue.push(item);
    this.wake?.();
  }

  update(events: Array<{ message: string; timestamp: number; stream: string; ingestionTime?: number }>, sampled = false): void {
    this.push({ sessionUpdate: { sessionMetadata: { sampled }, sessionResults: events.map((e) => ({ message: e.message, timestamp: e.timestamp, ingestionTime: e.ingestionTime ?? e.timestamp, logStreamName: e.stream, logGroupIdentifier: GROUP })) } });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StartLiveTailResponseStream> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
      const item = this.queue.shift();
      if (item === null || item === undefined) return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe("live evidence: the Live Tail session", () => {
  let mock: ReturnType<typeof mockClient>;
  let fc: ReturnType<typeof FakeTimers.createClock>;
  let lines: string[];
  let source: LiveTailSource;

  const settle = async (ms = 0) => {
    await fc.tickAsync(ms);
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  const start = (answers: Array<Stream | Error>) => {
    // One chain: each StartLiveTail call takes the next answer.
    let chain = mock.on(StartLiveTailCommand);
    for (const a of answers) chain = a instanceof Error ? chain.rejectsOnce(a) : chain.resolvesOnce({ responseStream: a });
    const clock = fakeClock(fc);
    source = new LiveTailSource(new LogsPort(new CloudWatchLogsClient({ region: "eu-west-1" }), { clock, retry: { ...DEFAULT_RETRY, attempts: 1 } }), clock, { logGroupArn: GROUP, alias: "live" }, (l) => lines.push(l));
    source.start();
  };

  /** Two sessions answered in turn; the first has delivered one request (answered at T0 + 1 s) by T0 + 2 s. */
  const twoSessionsAfterOneRequest = async (): Promise<[Stream, Stream]> => {
    const first = new Stream();
    const second = new Stream();
    start([first, second]);
    await settle(2_000);
    first.update([{ message: documentOf("live", "42", 200, 5, T0 + 1_000), timestamp: T0 + 1_000, stream: streamOf("42") }]);
    await settle();
    return [first, second];
  };

  before(() => (mock = mockClient(CloudWatchLogsClient)));
  beforeEach(() => {
    mock.reset();
    fc = FakeTimers.createClock(T0);
    lines = [];
  });
  afterEach(async () => {
    await source.close();
  });
  after(() => mock.restore());

  it("tails the function's log group for the alias's documents, and knows nothing before the first event", async () => {
    const s = new Stream();
    start([s]);
    s.push({ sessionStart: { logGroupIdentifiers: [GROUP] } });
    await settle();
    assert.deepEqual(mock.commandCalls(StartLiveTailCommand)[0].args[0].input, { logGroupIdentifiers: [GROUP], logEventFilterPattern: filterPatternFor("live") });
    s.update([]); // an empty update: nothing ingested in that second
    await settle(1_000);
    assert.equal(source.watermark(), undefined, "no event yet: no delay measured, no watermark");
  });

  it("counts requests as they arrive, and puts the watermark the longest measured delay behind the last update", async () => {
    const s = new Stream();
    start([s]);
    await settle(3_000); // it is now T0 + 3 s
    s.update([
      { message: documentOf("live", "42", 200, 5, T0 + 1_000), timestamp: T0 + 1_000, stream: streamOf("42") },
      { message: documentOf("live", "41", 500, 5, T0 + 1_200), timestamp: T0 + 1_200, stream: streamOf("41") },
    ]);
    await settle();
    // Delays 2.0 s and 1.8 s: the watermark is 2 s behind this update.
    assert.equal(source.watermark(), T0 + 1_000);
    await settle(1_000);
    s.update([]);
    await settle();
    assert.equal(source.watermark(), T0 + 2_000, "an empty update moves the watermark on by the time it came");
    assert.deepEqual(source.tally.figures("41", T0, T0 + 2_000).figures, { requests: 1, serverErrors: 1 });
  });

  it("takes a sampled update as the sample it is: proportions, marked sampled, never scaled to a total", async () => {
    const s = new Stream();
    start([s]);
    await settle(2_000);
    const events = Array.from({ length: 500 }, (_, i) => ({ message: documentOf("live", "42", i % 10 === 0 ? 500 : 200, 5, T0 + 1_000), timestamp: T0 + 1_000, stream: streamOf("42") }));
    s.update(events, true);
    await settle();
    const f = source.tally.figures("42", T0, T0 + 2_000);
    assert.deepEqual([f.figures.requests, f.figures.serverErrors, f.sampled], [500, 50, true]);
    assert.equal(source.summary().sampledUpdates, 1);
  });

  it("opens another session when one reaches its three hours (SessionTimeoutException), counting the time between as unseen", async () => {
    const [first, second] = await twoSessionsAfterOneRequest();
    first.push({ SessionTimeoutException: { name: "SessionTimeoutException", $fault: "client", message: "Session timed out" } as never });
    await settle();
    assert.equal(mock.commandCalls(StartLiveTailCommand).length, 2, "a second session is opened at once");
    await settle(3_000);
    second.update([{ message: documentOf("live", "42", 500, 5, T0 + 4_500), timestamp: T0 + 4_500, stream: streamOf("42") }]);
    await settle();
    assert.deepEqual(source.tally.figures("42", T0, T0 + 5_000).figures, { requests: 2, serverErrors: 1 });
    assert.ok(source.summary().unseenSeconds >= 3, JSON.stringify(source.summary()));
    assert.ok(lines.some((l) => /three hours; opening another/.test(l)), lines.join("\n"));
  });

  it("reconnects with backoff after a dropped connection, holding the watermark while down", async () => {
    const [first, second] = await twoSessionsAfterOneRequest();
    const before = source.watermark();
    first.push(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    await settle();
    assert.equal(mock.commandCalls(StartLiveTailCommand).length, 1, "waits before reconnecting");
    assert.ok(lines.some((l) => /socket hang up; reconnecting in 1s .*unseen, not as no traffic/.test(l)), lines.join("\n"));
    await settle(1_000);
    assert.equal(mock.commandCalls(StartLiveTailCommand).length, 2);
    assert.equal(source.watermark(), before, "no update while down: the watermark stays");
    await settle(1_000);
    second.update([]);
    await settle();
    assert.ok((source.watermark() ?? 0) > (before ?? 0));
    assert.equal(source.summary().unseenSeconds, 3, "from the last update before the drop (less the delay) to the first after");
  });

  it("gives up at once when the account's Live Tail sessions are all in use (LimitExceededException), saying so", async () => {
    start([awsError("LimitExceededException", "Rate exceeded for concurrent sessions")]);
    await settle(60_000);
    assert.equal(mock.commandCalls(StartLiveTailCommand).length, 1);
    assert.equal(source.available, false);
    assert.match(source.unavailable ?? "", /LimitExceededException: the account's concurrent Live Tail sessions are all in use/);
    assert.ok(lines.some((l) => /judged on metrics alone/.test(l)));
    assert.equal(source.watermark(), undefined);
  });

  it("gives up when the role may not tail the log group, naming the action to grant", async () => {
    start([awsError("AccessDeniedException", `User: arn:aws:sts::123456789012:assumed-role/deployer/ci is not authorized to perform: logs:StartLiveTail on resource: ${GROUP}`)]);
    await settle();
    assert.match(source.unavailable ?? "", /logs:StartLiveTail/);
  });

  it("gives up after repeated streaming errors (SessionStreamingException), never stopping the release", async () => {
    const failing = Array.from({ length: 9 }, () => {
      const s = new Stream();
      s.push({ SessionStreamingException: { name: "SessionStreamingException", $fault: "client", message: "Internal error" } as never });
      return s;
    });
    start(failing);
    await settle(10 * 60_000);
    assert.equal(mock.commandCalls(StartLiveTailCommand).length, 9);
    assert.match(source.unavailable ?? "", /failed 9 times in a row \(last: SessionStreamingException/);
  });

  it("closes the session when the release ends, at once, even with no update due", async () => {
    const s = new Stream();
    start([s]);
    await settle();
    const closed = source.close();
    await settle();
    await closed;
    const options = (mock.commandCalls(StartLiveTailCommand)[0].args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
    assert.equal(options?.abortSignal?.aborted, true, "the request's abort signal ends the HTTP stream, and so the session");
    assert.equal(source.available, false);
  });

  it("counts an event that comes after the watermark passed its time as late, and waits longer from then on", async () => {
    const s = new Stream();
    start([s]);
    await settle(2_000);
    s.update([{ message: documentOf("live", "42", 200, 5, T0 + 1_500), timestamp: T0 + 1_500, stream: streamOf("42") }]);
    await settle(5_000);
    s.update([]);
    await settle();
    assert.equal(source.watermark(), T0 + 6_500);
    s.update([{ message: documentOf("live", "42", 200, 5, T0 + 3_000), timestamp: T0 + 3_000, stream: streamOf("42") }]);
    await settle();
    assert.equal(source.summary().lateEvents, 1);
    assert.equal(source.watermark(), T0 + 3_000, "the longest delay is now 4 s");
  });
});
