// Wing probe/: the traffic probe, its version-mix chart, and release --probe. May import: engine, core.
/**
 * The traffic probe's pure parts (seed 000's experiment): options, the send schedule, one
 * record per answer, and the summaries printed while and after it runs. The loop that sends
 * requests is in run.ts; nothing here does I/O.
 *
 * Seed 000's poster.py: client `index` posts `{"todoId": "t<index:02>-<count:04>", "title": ...}`
 * to `/todo`, counts status 200 as ok and anything else as ng, sleeps 300 ms, and stops once
 * `finish.txt` exists; each client then prints its ok and ng counts.
 */
import { renderValue, ValidationError, type Problem } from "../../lib/validation";

export const PROBE_LIMITS = {
  clients: { min: 1, max: 50 },
  intervalMs: { min: 50, max: 60_000 },
  /** Bounded traffic: a probe never runs longer than an hour. */
  durationS: { min: 1, max: 3_600 },
  timeoutMs: { min: 100, max: 60_000 },
} as const;

export interface ProbeOptions {
  /** `http(s)://host[:port][/stage]`, without a trailing slash. */
  readonly baseUrl: string;
  readonly clients: number;
  readonly intervalMs: number;
  /** Stops after this many seconds at the latest (the finish file may stop it sooner). */
  readonly durationS: number;
  readonly finishFile: string;
  readonly out: string;
  readonly title: string;
  /** A request with no answer after this long is recorded as a network failure. */
  readonly timeoutMs: number;
  /** After each POST answered 200, the same client reads the item back (GET /todo/{todoId}). Defaults to false: seed 000 only posts. */
  readonly read?: boolean;
}

export interface RawProbeFlags {
  readonly clients?: string;
  readonly intervalMs?: string;
  readonly duration?: string;
  readonly finishFile?: string;
  readonly out?: string;
  readonly title?: string;
  readonly timeoutMs?: string;
  readonly read?: boolean;
}

export const PROBE_DEFAULTS = { clients: 3, intervalMs: 300, finishFile: "finish.txt", out: "probe.ndjson", title: "アレを買う", timeoutMs: 10_000 } as const;

function intFlag(problems: Problem[], field: string, raw: string | undefined, fallback: number, range: { min: number; max: number }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    problems.push({ field, value: renderValue(raw), message: `must be a whole number from ${range.min} to ${range.max}; pass e.g. ${field} ${Math.min(range.max, Math.max(range.min, fallback))}.` });
    return fallback;
  }
  return value;
}

/** Checks the base URL and flags; throws ValidationError naming every problem at once. */
export function probeOptions(baseUrl: string | undefined, flags: RawProbeFlags): ProbeOptions {
  const problems: Problem[] = [];
  let base = "";
  if (baseUrl === undefined || baseUrl.trim() === "") {
    problems.push({ field: "<baseUrl>", value: "(missing)", message: "is required: the stage's invokeUrl or npm start's http://localhost:3000." });
  } else {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      problems.push({ field: "<baseUrl>", value: renderValue(baseUrl), message: "is not a URL; pass e.g. http://localhost:3000 or https://<api>.execute-api.<region>.amazonaws.com/<stage>." });
    }
    if (url && url.protocol !== "http:" && url.protocol !== "https:") {
      problems.push({ field: "<baseUrl>", value: renderValue(baseUrl), message: "must use http or https." });
    } else if (url && (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "")) {
      problems.push({ field: "<baseUrl>", value: renderValue(baseUrl), message: "must be a base URL without credentials, query or fragment; the probe appends /todo." });
    } else if (url) {
      base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    }
  }
  const clients = intFlag(problems, "--clients", flags.clients, PROBE_DEFAULTS.clients, PROBE_LIMITS.clients);
  const intervalMs = intFlag(problems, "--interval-ms", flags.intervalMs, PROBE_DEFAULTS.intervalMs, PROBE_LIMITS.intervalMs);
  const durationS = intFlag(problems, "--duration", flags.duration, PROBE_LIMITS.durationS.max, PROBE_LIMITS.durationS);
  const timeoutMs = intFlag(problems, "--timeout-ms", flags.timeoutMs, PROBE_DEFAULTS.timeoutMs, PROBE_LIMITS.timeoutMs);
  const nonEmpty = (field: string, raw: string | undefined, fallback: string): string => {
    if (raw === undefined) return fallback;
    if (raw.trim() === "") problems.push({ field, value: renderValue(raw), message: "must not be empty." });
    return raw;
  };
  const finishFile = nonEmpty("--finish-file", flags.finishFile, PROBE_DEFAULTS.finishFile);
  const out = nonEmpty("--out", flags.out, PROBE_DEFAULTS.out);
  const title = nonEmpty("--title", flags.title, PROBE_DEFAULTS.title);
  if (problems.length > 0) throw new ValidationError("probe", problems);
  return { baseUrl: base, clients, intervalMs, durationS, finishFile, out, title, timeoutMs, read: flags.read === true };
}

/** Seed 000's id: `t<client:02>-<count:04>` (wider numbers are kept whole). */
export function todoId(client: number, count: number): string {
  return `t${String(client).padStart(2, "0")}-${String(count).padStart(4, "0")}`;
}

/**
 * When a client sends next: one interval after its previous send was due, like a metronome,
 * but never before the previous answer arrived (one request in flight per client, as in
 * poster.py) and never in the past (a slow answer does not cause a burst of catch-up sends).
 */
export function nextSendAt(previousDueAt: number, answeredAt: number, intervalMs: number): number {
  return Math.max(previousDueAt + intervalMs, answeredAt);
}

/** The routes the probe sends, as the route table names them (lambda-src/routes.ts). */
export const POST_ROUTE = "POST /todo";
export const GET_ROUTE = "GET /todo/{todoId}";

/** One answer (or network failure), one NDJSON line. */
export interface ProbeRecord {
  /** When the request was sent, ISO 8601. */
  readonly time: string;
  readonly client: number;
  readonly route: string;
  readonly todoId: string;
  /** HTTP status, or null when no answer came (see `error`). */
  readonly status: number | null;
  /** The answer's `x-function-version` header, or null when absent. */
  readonly version: string | null;
  readonly latencyMs: number;
  readonly error?: string;
}

/** poster.py's rule: ok means status 200, anything else (including no answer) is ng. */
export function isOk(r: Pick<ProbeRecord, "status">): boolean {
  return r.status === 200;
}

export function recordLine(r: ProbeRecord): string {
  return `${JSON.stringify(r)}\n`;
}

/** Reads a probe's NDJSON back; throws naming the line that is not a record. */
export function parseRecords(ndjson: string): ProbeRecord[] {
  const records: ProbeRecord[] = [];
  ndjson.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
    const r = value as Partial<ProbeRecord>;
    const ok =
      typeof r === "object" && r !== null && typeof r.time === "string" && Number.isInteger(r.client) && typeof r.route === "string" && typeof r.todoId === "string" && (r.status === null || Number.isInteger(r.status)) && (r.version === null || typeof r.version === "string") && typeof r.latencyMs === "number";
    if (!ok) throw new Error(`line ${i + 1} is not a probe record (time, client, route, todoId, status, version, latencyMs): ${line.slice(0, 80)}`);
    // The chart buckets by this time: a line it cannot read is this file's fault, named here.
    if (!Number.isFinite(Date.parse(r.time ?? ""))) throw new Error(`line ${i + 1} has a time that is not ISO 8601 (the probe writes e.g. 2026-12-01T12:00:00.000Z): ${line.slice(0, 80)}`);
    records.push(value as ProbeRecord);
  });
  return records;
}

export interface ProbeSummary {
  readonly requests: number;
  readonly ok: number;
  readonly failures: number;
  /** Per client, in client order: poster.py's ok/ng counts. */
  readonly perClient: ReadonlyArray<{ readonly client: number; readonly ok: number; readonly ng: number }>;
  /** Answers per `x-function-version`, in order of first appearance; `(none)` for no header or no answer. */
  readonly perVersion: ReadonlyArray<{ readonly version: string; readonly count: number }>;
}

export const NO_VERSION = "(none)";

export function summarise(records: readonly ProbeRecord[]): ProbeSummary {
  const clients = new Map<number, { ok: number; ng: number }>();
  const versions = new Map<string, number>();
  let ok = 0;
  for (const r of records) {
    const c = clients.get(r.client) ?? { ok: 0, ng: 0 };
    if (isOk(r)) {
      c.ok++;
      ok++;
    } else c.ng++;
    clients.set(r.client, c);
    const v = r.version ?? NO_VERSION;
    versions.set(v, (versions.get(v) ?? 0) + 1);
  }
  return {
    requests: records.length,
    ok,
    failures: records.length - ok,
    perClient: [...clients.entries()].sort(([a], [b]) => a - b).map(([client, c]) => ({ client, ...c })),
    perVersion: [...versions.entries()].map(([version, count]) => ({ version, count })),
  };
}

function pct(n: number, total: number): string {
  return total === 0 ? "0%" : `${Math.round((n / total) * 100)}%`;
}

/** A plain progress line: requests and failures so far, and the share per version over the last answers. */
export function progressLine(elapsedS: number, all: ProbeSummary, recent: ProbeSummary): string {
  const mix = recent.perVersion.map((v) => `${v.version === NO_VERSION ? NO_VERSION : `v${v.version}`} ${pct(v.count, recent.requests)}`).join(", ");
  return `probe ${Math.round(elapsedS)}s: ${all.requests} requests, ${all.failures} failed; last ${recent.requests}: ${mix || "no answers"}`;
}

/** Seed 000's result table (client, ok, ng), then the count per version. */
export function renderSummary(s: ProbeSummary): string {
  const rows: string[][] = [["client", "ok", "ng"], ...s.perClient.map((c) => [`t${String(c.client).padStart(2, "0")}`, String(c.ok), String(c.ng)]), ["total", String(s.ok), String(s.failures)]];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
  const versions = s.perVersion.map((v) => `  ${v.version === NO_VERSION ? NO_VERSION : `version ${v.version}`}: ${v.count} (${pct(v.count, s.requests)})`);
  return [...table, "", "answers per x-function-version:", ...(versions.length > 0 ? versions : ["  (no answers)"])].join("\n") + "\n";
}
