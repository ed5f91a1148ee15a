/**
 * CloudWatch Logs Live Tail: the function's log events as they are ingested. One call,
 * `StartLiveTail`, answers with a stream (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html):
 * - one `sessionStart`, then a `sessionUpdate` every second, with an empty array when nothing
 *   new was ingested in that second;
 * - at most 500 events per update: beyond that the update holds a sample of 500 and
 *   `sessionMetadata.sampled` is true (API_LiveTailSessionMetadata.html);
 * - `SessionTimeoutException` after three hours, `SessionStreamingException` on an unknown
 *   server-side error (API_StartLiveTailResponseStream.html); the SDK may also throw them, by name,
 *   from the iterator, so both ways end the same here;
 * - the session ends when the client closes the stream (here: aborting the request's signal).
 * Log groups are named by ARN, which may not end in `*`.
 */
import { StartLiveTailCommand, type CloudWatchLogsClient, type StartLiveTailResponseStream } from "@aws-sdk/client-cloudwatch-logs";
import { callAws, type CallContext } from "./call";

export interface LiveTailEvent {
  /** When the function wrote it (epoch ms), as the log event says. */
  readonly timestamp: number;
  /** When CloudWatch Logs ingested it (epoch ms). */
  readonly ingestionTime: number;
  readonly message: string;
  readonly logStreamName: string;
}

export type LiveTailMessage = { readonly kind: "start" } | { readonly kind: "update"; readonly sampled: boolean; readonly events: readonly LiveTailEvent[] };

/** The stream ended the way the API documents: `SessionTimeoutException` or `SessionStreamingException`. */
export class LiveTailSessionEnded extends Error {
  constructor(
    readonly reason: "SessionTimeoutException" | "SessionStreamingException",
    message: string,
  ) {
    super(`${reason}: ${message}`);
    this.name = reason;
  }
}

export interface LiveTailRequest {
  /** The log group's ARN, without a trailing `:*`. */
  readonly logGroupArn: string;
  /** A CloudWatch Logs filter pattern (at most 1024 characters). */
  readonly filterPattern: string;
}

export class LogsPort {
  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly ctx: CallContext,
  ) {}

  /** Opens a session; the messages end when `signal` aborts, the session ends, or the connection drops (then the iterator throws). */
  async startLiveTail(request: LiveTailRequest, signal: AbortSignal): Promise<AsyncIterable<LiveTailMessage>> {
    const out = await callAws(this.ctx, "StartLiveTailCommand", () =>
      this.client.send(new StartLiveTailCommand({ logGroupIdentifiers: [request.logGroupArn.replace(/:\*$/, "")], logEventFilterPattern: request.filterPattern }), { abortSignal: signal }),
    );
    if (out.responseStream === undefined) throw new Error("StartLiveTail answered without a response stream");
    return messages(out.responseStream, signal);
  }
}

/**
 * The stream until it ends or `signal` aborts: an abort ends the iteration at once, without
 * waiting for the next update, and closes the stream (which ends the session).
 */
async function* untilAborted<T>(stream: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  const it = stream[Symbol.asyncIterator]();
  const aborted = new Promise<"aborted">((resolve) => (signal.aborted ? resolve("aborted") : signal.addEventListener("abort", () => resolve("aborted"), { once: true })));
  try {
    for (;;) {
      const next = await Promise.race([it.next(), aborted]);
      if (next === "aborted" || next.done === true) return;
      yield next.value;
    }
  } finally {
    // Not awaited: a stream blocked on the network settles when its request is aborted.
    void it.return?.()?.catch(() => undefined);
  }
}

async function* messages(stream: AsyncIterable<StartLiveTailResponseStream>, signal: AbortSignal): AsyncIterable<LiveTailMessage> {
  for await (const m of untilAborted(stream, signal)) {
    if (m.sessionStart !== undefined) yield { kind: "start" };
    else if (m.sessionUpdate !== undefined) {
      const events: LiveTailEvent[] = [];
      for (const e of m.sessionUpdate.sessionResults ?? []) {
        if (e.timestamp === undefined || e.message === undefined) continue;
        events.push({ timestamp: e.timestamp, ingestionTime: e.ingestionTime ?? e.timestamp, message: e.message, logStreamName: e.logStreamName ?? "" });
      }
      yield { kind: "update", sampled: m.sessionUpdate.sessionMetadata?.sampled === true, events };
    } else if (m.SessionTimeoutException !== undefined) throw new LiveTailSessionEnded("SessionTimeoutException", m.SessionTimeoutException.message ?? "the session reached its three hours");
    else if (m.SessionStreamingException !== undefined) throw new LiveTailSessionEnded("SessionStreamingException", m.SessionStreamingException.message ?? "unknown error in the stream");
    // A member this SDK does not know ($unknown) carries nothing to count.
  }
}
