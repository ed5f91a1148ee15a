/**
 * CloudWatch Logs Live Tail in the simulated world: what `StartLiveTail` streams, behind the
 * release step's real LogsPort (release/aws/logs.ts), on the world's clock.
 *
 * Modelled as documented (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html):
 * - one sessionStart, then a sessionUpdate every second holding what was ingested in that
 *   second, an empty array when nothing was;
 * - at most 500 events an update: beyond that a uniform sample of 500 and `sampled` set;
 * - every invocation writes two events: the function's EMF document (when the version publishes
 *   them) and Lambda's JSON `platform.report` in the log stream `YYYY/MM/DD/[<version>]<id>`;
 * - a session only sees what is ingested while it is open;
 * - `unavailable: "quota"` answers LimitExceededException (the account's concurrent sessions in use);
 *   `sessionSeconds` ends a session with SessionTimeoutException (AWS: after three hours).
 * Assumed, as AWS documents no figure: the delay from a request to its events' arrival in an
 * update is log-normal with a median of 1.5 s and a p99 of 5 s ("near real time", the Live Tail
 * page says). Every draw comes from the channel's own random stream, so adding the stream does
 * not change the world's traffic.
 */
import type { CloudWatchLogsClient, StartLiveTailResponseStream } from "@aws-sdk/client-cloudwatch-logs";
import { lognormalLatency, seeded, type Random } from "./random";
import type { SimFunction } from "./sim-aws";
import type { Outcome, World } from "./world";

export interface LiveTailAssumptions {
  readonly medianDelayMs: number;
  readonly p99DelayMs: number;
  /** "quota": StartLiveTail answers LimitExceededException. */
  readonly unavailable?: "quota";
  /** A session ends with SessionTimeoutException after this long (three hours in AWS; shorter to test reopening). */
  readonly sessionSeconds?: number;
  /** From this alias write on (0: the first), the open session sends nothing more (a stalled stream). */
  readonly stallFromWrite?: number;
}

export const DEFAULT_LIVE_TAIL: LiveTailAssumptions = { medianDelayMs: 1_500, p99DelayMs: 5_000 };

/** Events documented per update. */
const UPDATE_LIMIT = 500;

interface Pending {
  /** Events in this delivery second so far (two per request, or one where no document is written). */
  count: number;
  /** A uniform sample of at most UPDATE_LIMIT of them (reservoir sampling). */
  sample: Array<{ atMs: number; version: string; outcome: Outcome; report: boolean }>;
}

export class SimLiveTail {
  private readonly random: Random;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: Array<() => void> = [];
  /** Sessions opened, and closed by the client (the release step ending them). */
  readonly sessions = { opened: 0, closedByClient: 0 };

  constructor(
    private readonly world: World,
    private readonly fn: SimFunction,
    seed: number,
    readonly assumptions: LiveTailAssumptions = DEFAULT_LIVE_TAIL,
  ) {
    this.random = seeded(seed ^ 0x2545f491);
    world.listeners.push((atMs, version, outcome) => this.served(atMs, version, outcome));
  }

  private served(atMs: number, version: string, outcome: Outcome): void {
    const documents = this.world.options.versions[version]?.publishesMetrics !== false;
    for (const report of documents ? [false, true] : [true]) {
      const arrives = atMs + lognormalLatency(this.random, this.assumptions.medianDelayMs, this.assumptions.p99DelayMs);
      const second = Math.ceil(arrives / 1000);
      let p = this.pending.get(second);
      if (p === undefined) this.pending.set(second, (p = { count: 0, sample: [] }));
      p.count += 1;
      const event = { atMs, version, outcome, report };
      if (p.sample.length < UPDATE_LIMIT) p.sample.push(event);
      else {
        const j = Math.floor(this.random() * p.count);
        if (j < UPDATE_LIMIT) p.sample[j] = event;
      }
    }
  }

  /** After the world's clock moved: wakes the streams waiting for a second that has come. */
  tick(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The update for `second` (delivered at its end). */
  private update(second: number): StartLiveTailResponseStream {
    const p = this.pending.get(second);
    this.pending.delete(second);
    const fn = this.fn;
    const stream = (version: string) => `2027/01/01/[${version}]0123456789abcdef`;
    const results = (p?.sample ?? []).map((e) => ({
      logGroupIdentifier: `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${fn.functionName}`,
      logStreamName: stream(e.version),
      timestamp: Math.round(e.atMs),
      ingestionTime: second * 1000,
      message: e.report
        ? JSON.stringify({ time: new Date(e.atMs).toISOString(), type: "platform.report", record: { requestId: "r", metrics: { durationMs: e.outcome.latencyMs }, status: e.outcome.kind === "unhandled" ? "error" : "success" } })
        : JSON.stringify({
            _aws: { Timestamp: Math.round(e.atMs), CloudWatchMetrics: [{ Namespace: fn.metricsNamespace, Dimensions: [["service", "FunctionName", "Alias", "Version"]], Metrics: [{ Name: "Requests", Unit: "Count", StorageResolution: 1 }] }] },
            service: fn.serviceName,
            FunctionName: fn.functionName,
            Alias: fn.aliasName,
            Version: e.version,
            Requests: 1,
            // The function counts a thrown error as a server error (its document is written in a finally).
            ServerErrors: e.outcome.kind === "unhandled" || e.outcome.kind === "handled" ? 1 : 0,
            ClientErrors: 0,
            Latency: Math.round(e.outcome.latencyMs * 100) / 100,
          }),
    }));
    return { sessionUpdate: { sessionMetadata: { sampled: (p?.count ?? 0) > UPDATE_LIMIT }, sessionResults: results } };
  }

  /** The session's stream: a sessionStart, then one update per second of world time. */
  private stream(): AsyncIterableIterator<StartLiveTailResponseStream> {
    const first = Math.floor(this.world.nowMs / 1000) + 1;
    // Only what is ingested from now on: earlier deliveries are not this session's.
    for (const s of [...this.pending.keys()]) if (s < first) this.pending.delete(s);
    const session = { next: first, started: false, closed: false };
    const ends = this.assumptions.sessionSeconds !== undefined ? first + this.assumptions.sessionSeconds : Infinity;
    this.sessions.opened += 1;
    const stalled = () => this.assumptions.stallFromWrite !== undefined && this.world.writes.length > this.assumptions.stallFromWrite;
    const next = async (): Promise<IteratorResult<StartLiveTailResponseStream>> => {
      if (!session.started) {
        session.started = true;
        return { done: false, value: { sessionStart: { logGroupIdentifiers: [`arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${this.fn.functionName}`] } } };
      }
      while (!session.closed && (this.world.nowMs < session.next * 1000 || stalled())) await new Promise<void>((wake) => this.waiters.push(wake));
      if (session.closed) return { done: true, value: undefined };
      if (session.next >= ends) return { done: false, value: { SessionTimeoutException: Object.assign(new Error("Session timed out"), { name: "SessionTimeoutException", $fault: "client" }) as never } };
      return { done: false, value: this.update(session.next++) };
    };
    const close = async (): Promise<IteratorResult<StartLiveTailResponseStream>> => {
      if (!session.closed) this.sessions.closedByClient += 1;
      session.closed = true;
      this.tick();
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<StartLiveTailResponseStream> = { next, return: close, [Symbol.asyncIterator]: () => iterator };
    return iterator;
  }

  /** A CloudWatchLogsClient that answers StartLiveTail from this channel. */
  client(): CloudWatchLogsClient {
    const send = (command: object): Promise<unknown> => {
      if (command.constructor.name !== "StartLiveTailCommand") return Promise.reject(new Error(`the release simulator does not model CloudWatch Logs ${command.constructor.name}`));
      if (this.assumptions.unavailable === "quota") {
        return Promise.reject(Object.assign(new Error("Rate exceeded: too many concurrent Live Tail sessions"), { name: "LimitExceededException", $fault: "client", $metadata: { httpStatusCode: 400 } }));
      }
      return Promise.resolve({ responseStream: this.stream() });
    };
    return { send } as unknown as CloudWatchLogsClient;
  }
}
