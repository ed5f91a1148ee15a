/**
 * Running the traffic probe: N clients each send the service's traffic every interval until the
 * duration has passed, the finish file appears or it is stopped, recording every answer. The
 * probe command (release/cli/probe.ts) and `release --probe` (release-probe.ts) both run it.
 */
import type { Clock } from "../core/clock";
import { isOk, nextSendAt, GET_ROUTE, POST_ROUTE, progressLine, summarise, todoId, type ProbeOptions, type ProbeRecord } from "./traffic";

/** How often the finish file is looked for and a progress line is printed. */
const FINISH_POLL_MS = 100;
/** Plain progress lines for CI logs come this often. */
export const PROGRESS_EVERY_MS = 5_000;

export interface ProbeDeps {
  readonly clock: Clock;
  readonly fetch: typeof fetch;
  readonly finishExists: () => boolean;
  /** Receives each record as it is made (the CLI appends it to --out). */
  readonly record: (r: ProbeRecord) => void;
  readonly progress: (line: string) => void;
  /** Defaults to 5 s (plain lines for CI logs). */
  readonly progressEveryMs?: number;
  /** Aborting it stops the probe early (Ctrl-C). */
  readonly stop?: AbortSignal;
}

/** One request and its answer as a record; a request that gets no answer is recorded with its error. */
async function send(opts: ProbeOptions, deps: ProbeDeps, client: number, id: string, route: typeof POST_ROUTE | typeof GET_ROUTE): Promise<ProbeRecord> {
  const started = deps.clock.now();
  const base = { time: new Date(started).toISOString(), client, route, todoId: id };
  try {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    // poster.py sends the JSON body without a content type; the API accepts either.
    const res =
      route === POST_ROUTE
        ? await deps.fetch(`${opts.baseUrl}/todo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ todoId: id, title: opts.title }), signal })
        : await deps.fetch(`${opts.baseUrl}/todo/${encodeURIComponent(id)}`, { method: "GET", signal });
    await res.arrayBuffer();
    return { ...base, status: res.status, version: res.headers.get("x-function-version"), latencyMs: deps.clock.now() - started };
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
    return { ...base, status: null, version: null, latencyMs: deps.clock.now() - started, error: `${e instanceof Error ? e.message : String(e)}${cause}` };
  }
}

/** Runs the probe to its end (duration, finish file or `stop`) and returns every record. */
export async function runProbe(opts: ProbeOptions, deps: ProbeDeps): Promise<ProbeRecord[]> {
  const records: ProbeRecord[] = [];
  const startedAt = deps.clock.now();
  const endAt = startedAt + opts.durationS * 1000;
  const done = new AbortController();
  const finish = () => done.abort();
  deps.stop?.addEventListener("abort", finish, { once: true });
  if (deps.stop?.aborted) finish();
  const over = () => done.signal.aborted || deps.clock.now() >= endAt;

  const watcher = (async () => {
    while (!over()) {
      if (deps.finishExists()) return finish();
      await deps.clock.sleep(Math.min(FINISH_POLL_MS, endAt - deps.clock.now()), done.signal);
    }
    finish();
  })();

  let printed = 0;
  const reporter = (async () => {
    while (!over()) {
      await deps.clock.sleep(Math.min(deps.progressEveryMs ?? PROGRESS_EVERY_MS, endAt - deps.clock.now()), done.signal);
      if (over()) return;
      const recent = records.slice(printed);
      printed = records.length;
      deps.progress(progressLine((deps.clock.now() - startedAt) / 1000, summarise(records), summarise(recent)));
    }
  })();

  const client = async (index: number) => {
    let dueAt = startedAt;
    for (let count = 1; !over(); count++) {
      const id = todoId(index, count);
      const r = await send(opts, deps, index, id, POST_ROUTE);
      records.push(r);
      deps.record(r);
      // --read: the item just written, read back by the same client (skipped when the write failed, so one failure is counted once).
      if (opts.read === true && isOk(r) && !over()) {
        const read = await send(opts, deps, index, id, GET_ROUTE);
        records.push(read);
        deps.record(read);
      }
      dueAt = nextSendAt(dueAt, deps.clock.now(), opts.intervalMs);
      await deps.clock.sleep(Math.min(dueAt, endAt) - deps.clock.now(), done.signal);
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i + 1)));
  finish();
  await Promise.all([watcher, reporter]);
  deps.stop?.removeEventListener("abort", finish);
  return records;
}
