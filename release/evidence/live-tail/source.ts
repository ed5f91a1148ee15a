/**
 * The live evidence source: a Live Tail session on the function's log group for as long as the
 * release runs, counting each request of the alias by its own time within seconds of it
 * (release/aws/logs.ts says what the API documents). It never stops a release: whatever goes
 * wrong leaves it reconnecting (and saying so) or unavailable (and saying why), and the release
 * is then judged on metrics.
 *
 * The watermark is how far, in request time, the stream is complete, measured rather than
 * assumed. Every event's delay from its own timestamp to its arrival here is measured, and
 * updates come every second even when empty; so once an update has arrived at U, every request
 * answered before U − (the longest delay seen) has arrived too, unless it is slower than any
 * seen so far. Such a late event is counted, raises the delay, and is reported. Before the first
 * event nothing is known, and there is no watermark.
 */
import { errorName } from "../../aws/call";
import type { LiveTailMessage, LogsPort } from "../../aws/logs";
import type { Clock } from "../../core/clock";
import { filterPatternFor, readEvent } from "./document";
import { LiveTally } from "./tally";

export interface LiveTailScope {
  /** The function's log group, /aws/lambda/<fn>, by ARN (stack output requestMetrics.logGroupArn). */
  readonly logGroupArn: string;
  readonly alias: string;
}

export interface ReconnectPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Failed attempts in a row (no update in between) before the source gives up. */
  readonly maxFailures: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { baseDelayMs: 1_000, maxDelayMs: 30_000, maxFailures: 8 };

/** Errors after which another attempt cannot do better: the source becomes unavailable. */
const FINAL_ERRORS: Readonly<Record<string, string>> = {
  AccessDeniedException: "the role may not start Live Tail on the function's log group (grant logs:StartLiveTail on it: the stack's deployer role does)",
  AccessDenied: "the role may not start Live Tail on the function's log group (grant logs:StartLiveTail on it: the stack's deployer role does)",
  LimitExceededException: "the account's concurrent Live Tail sessions are all in use (a CloudWatch Logs quota)",
  ResourceNotFoundException: "the function's log group does not exist",
  InvalidParameterException: "CloudWatch Logs refused the session's parameters",
};

/** A span of request time whose events were never delivered (the stream was down). */
export interface Gap {
  readonly from: number;
  readonly to: number;
}

export interface LiveTailSummary {
  readonly sessions: number;
  readonly updates: number;
  readonly sampledUpdates: number;
  readonly events: number;
  /** Events that arrived after the watermark had passed their time. */
  readonly lateEvents: number;
  /** The longest delay from a request to its arrival here, in ms. */
  readonly maxDelayMs?: number;
  readonly unseenSeconds: number;
  /** Why the source gave up, when it did. */
  readonly unavailable?: string;
}

export class LiveTailSource {
  readonly tally: LiveTally;
  readonly gaps: Gap[] = [];
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private lastUpdateAt?: number;
  private maxDelayMs?: number;
  private downSince?: number;
  private sessions = 0;
  private updates = 0;
  private sampledUpdates = 0;
  private events = 0;
  private lateEvents = 0;
  private reason?: string;

  constructor(
    private readonly logs: LogsPort,
    private readonly clock: Clock,
    private readonly scope: LiveTailScope,
    /** Told what happens to the stream, in a line a person reads. */
    private readonly say: (line: string) => void,
    private readonly reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
  ) {
    this.tally = new LiveTally(scope.alias);
  }

  /** Starts the session in the background; returns at once. */
  start(): void {
    this.loop ??= this.run().catch((e: unknown) => {
      this.reason = `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
      this.say(`live evidence unavailable: ${this.reason}; judged on metrics alone`);
    });
  }

  /** Ends the session (every way a release ends calls this) and waits for it to close. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  get available(): boolean {
    return this.reason === undefined && !this.abort.signal.aborted;
  }

  get unavailable(): string | undefined {
    return this.reason;
  }

  /** Request time (epoch ms) up to which the stream is complete; undefined until an event has arrived. */
  watermark(): number | undefined {
    if (this.lastUpdateAt === undefined || this.maxDelayMs === undefined) return undefined;
    return this.lastUpdateAt - this.maxDelayMs;
  }

  summary(): LiveTailSummary {
    const unseen = this.gaps.reduce((s, g) => s + Math.max(0, g.to - g.from), 0) / 1000;
    return {
      sessions: this.sessions,
      updates: this.updates,
      sampledUpdates: this.sampledUpdates,
      events: this.events,
      lateEvents: this.lateEvents,
      ...(this.maxDelayMs !== undefined ? { maxDelayMs: this.maxDelayMs } : {}),
      unseenSeconds: Math.round(unseen),
      ...(this.reason !== undefined ? { unavailable: this.reason } : {}),
    };
  }

  private async run(): Promise<void> {
    const request = { logGroupArn: this.scope.logGroupArn, filterPattern: filterPatternFor(this.scope.alias) };
    let failures = 0;
    while (!this.abort.signal.aborted) {
      let why: string;
      try {
        const stream = await this.logs.startLiveTail(request, this.abort.signal);
        this.sessions += 1;
        for await (const message of stream) {
          if (this.abort.signal.aborted) return;
          if (this.receive(message)) failures = 0;
        }
        if (this.abort.signal.aborted) return;
        why = "the stream ended";
      } catch (e) {
        if (this.abort.signal.aborted) return;
        const final = FINAL_ERRORS[errorName(e)] ?? (/is not authorized to perform/.test(e instanceof Error ? e.message : "") ? FINAL_ERRORS.AccessDenied : undefined);
        if (final !== undefined) {
          this.reason = `${errorName(e)}: ${final}`;
          this.say(`live evidence unavailable (${this.reason}); judged on metrics alone`);
          return;
        }
        // The SDK may deliver the documented stream exceptions as members (LiveTailSessionEnded) or throw them by name.
        if (errorName(e) === "SessionTimeoutException") {
          // Sessions last three hours at most; a new one picks up from here.
          this.wentDown();
          this.say("live evidence: the Live Tail session reached its three hours; opening another");
          continue;
        }
        why = `${errorName(e)}: ${e instanceof Error ? e.message : String(e)}`;
      }
      failures += 1;
      this.wentDown();
      if (failures > this.reconnect.maxFailures) {
        this.reason = `the stream failed ${failures} times in a row (last: ${why})`;
        this.say(`live evidence unavailable (${this.reason}); judged on metrics alone`);
        return;
      }
      const delay = Math.min(this.reconnect.maxDelayMs, this.reconnect.baseDelayMs * 2 ** (failures - 1));
      this.say(`live evidence: ${why}; reconnecting in ${Math.round(delay / 1000)}s (what arrives meanwhile is counted as unseen, not as no traffic)`);
      await this.clock.sleep(delay, this.abort.signal);
    }
  }

  /** True for an update: the stream is working. */
  private receive(message: LiveTailMessage): boolean {
    if (message.kind === "start") return false;
    const at = this.clock.now();
    if (this.downSince !== undefined) {
      // Live Tail sends only what is ingested while a session is open: what was ingested while
      // none was is never delivered, and is unseen rather than absent.
      this.gaps.push({ from: this.downSince - (this.maxDelayMs ?? 0), to: at });
      this.downSince = undefined;
    }
    this.updates += 1;
    if (message.sampled) this.sampledUpdates += 1;
    const watermark = this.watermark();
    for (const e of message.events) {
      const event = readEvent(e.message, e.logStreamName, e.timestamp);
      if (event === undefined) continue;
      this.events += 1;
      if (watermark !== undefined && event.at < watermark) this.lateEvents += 1;
      this.maxDelayMs = Math.max(this.maxDelayMs ?? 0, at - event.at);
      this.tally.add(event, message.sampled);
    }
    this.lastUpdateAt = at;
    return true;
  }

  private wentDown(): void {
    this.downSince ??= this.lastUpdateAt ?? this.clock.now();
  }
}
