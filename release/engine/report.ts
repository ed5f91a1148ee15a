/**
 * What a release tells people and machines: progress lines while it runs (rewritten in place
 * on a TTY, one plain line per event in CI), a JSON report at the end, and a Markdown summary
 * for the GitHub Actions job page.
 */
import type { ExitCode, OutcomeKind } from "../core/outcome";
import type { Step } from "../core/schedule";
import type { SmokeResult } from "./smoke-gate";
import type { DecisionRecord } from "../judge/decision";
import type { StageFailure } from "../stage-check/judge";
import type { LiveTailSummary } from "../evidence/live-tail/source";

export interface CheckRecord {
  readonly at: string;
  /** Share of traffic on the target during the check. */
  readonly percent: number;
  readonly healthy: boolean;
  readonly reasons: readonly string[];
  /** What the check saw besides failures: rates within limits, too little data, inherited alarms. */
  readonly notes: readonly string[];
  readonly targetInvocations: number;
  readonly targetErrors: number;
  readonly previousInvocations: number;
  readonly previousErrors: number;
  readonly throttles: number;
  readonly alarmsInAlarm: readonly string[];
  /** The evidence-based rule's decision with its counts and statistics (release/judge/decision), when it judged this check. */
  readonly decision?: DecisionRecord;
  /**
   * Where the figures judged came from: "live-tail" (requests, 5xx, latency from the stream,
   * up to its watermark), "request-metrics" (the same from CloudWatch metrics), "lambda-metrics"
   * (Invocations, Errors, Throttles) and "alarms".
   */
  readonly sources?: readonly string[];
  /** How far in request time the live stream was complete at this check (ISO 8601). */
  readonly watermark?: string;
  /** The live figures were a sample (over 500 events in a second): proportions were judged, not totals. */
  readonly sampled?: boolean;
}

/** One stage check (release/stage-check*.ts): requests through one stage at one weight. */
export interface StageCheckRecord {
  readonly at: string;
  /** Share of traffic on the target when the check ran (100 after promotion too). */
  readonly percent: number;
  readonly stage: string;
  readonly url: string;
  readonly ok: boolean;
  readonly requests: number;
  /** Answers per x-function-version. */
  readonly byVersion: Readonly<Record<string, number>>;
  /** Each failing answer: route, status, version, and API Gateway's own body when it was not the function's. */
  readonly failures: readonly StageFailure[];
  readonly reason?: string;
}

export interface ReleaseReport {
  readonly outcome: OutcomeKind;
  readonly exitCode: ExitCode;
  /** One sentence: what happened and, when it failed, why. */
  readonly message: string;
  readonly environment?: string;
  readonly functionName: string;
  readonly alias: string;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  readonly strategy?: string;
  readonly steps: readonly Step[];
  /** Share on the target when it ended (0 after a rollback, 100 after promotion). */
  readonly finalPercent: number;
  /** The alias as GetAlias read it at the end, when it was read. */
  readonly finalAlias?: { readonly functionVersion: string; readonly weights: Readonly<Record<string, number>> };
  readonly smoke: readonly SmokeResult[];
  readonly checks: readonly CheckRecord[];
  readonly notes: readonly string[];
  /** Checks that were not made, and why (dry run, explicit flags, no stages). */
  readonly skipped: readonly string[];
  /** Requests through each stage routing to the alias, after each shift (release/stage-check*.ts). */
  readonly stageChecks?: readonly StageCheckRecord[];
  /** The live evidence source's session, when it ran: updates, sampled updates, delay, unseen time, or why it gave up. */
  readonly liveEvidence?: LiveTailSummary;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** What `--probe <url>` saw during the release (and its tail); absent without --probe. It never changes `exitCode`. */
  readonly probe?: ReleaseProbeFigures;
}

export interface Writable {
  write(text: string): unknown;
}

/** Progress output: `line` for lasting events, `status` for the ticking bake line. */
export class Progress {
  private pendingStatus = false;

  constructor(
    private readonly out: Writable,
    /** true on an interactive terminal: the status line is rewritten in place. */
    private readonly tty: boolean,
  ) {}

  line(text: string): void {
    this.clearStatus();
    this.out.write(`${text}\n`);
  }

  status(text: string): void {
    if (!this.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`\r\x1b[2K${text}`);
    this.pendingStatus = true;
  }

  private clearStatus(): void {
    if (this.pendingStatus) this.out.write("\r\x1b[2K");
    this.pendingStatus = false;
  }
}

/** Discards progress (for callers that only want the report). */
export const silentProgress = new Progress({ write: () => true }, false);

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderMarkdown(r: ReleaseReport): string {
  const icon = r.exitCode === 0 ? "✅" : r.outcome === "rolled-back" || r.outcome === "aborted" || r.outcome === "interrupted" ? "↩️" : "❌";
  const lines = [
    `### ${icon} Release ${r.environment ?? ""} ${r.functionName}:${r.alias} — ${r.outcome}`.replace(/\s+/g, " "),
    "",
    cell(r.message),
    "",
    "| | |",
    "| --- | --- |",
    `| versions | ${r.fromVersion ?? "?"} → ${r.toVersion ?? "?"} |`,
    `| strategy | ${r.strategy ?? "-"} (${r.steps.map((s) => `${s.percent}%/${s.bakeSeconds}s`).join(", ") || "-"}) |`,
    `| final | ${r.finalAlias !== undefined ? describeAlias(r.finalAlias) : `${r.finalPercent}% on target`} |`,
    `| exit code | ${r.exitCode} |`,
  ];
  if (r.smoke.length > 0) lines.push(`| smoke | ${r.smoke.map((s) => `${s.ok ? "✔" : "✘"} ${cell(s.name)}${s.problem !== undefined ? ` (${cell(s.problem)})` : ""}`).join("; ")} |`);
  const last = r.checks.at(-1);
  if (last !== undefined) {
    lines.push(
      `| last check | ${last.percent}%: target ${last.targetErrors}/${last.targetInvocations} errors, previous ${last.previousErrors}/${last.previousInvocations}, ${last.throttles} throttles |`,
    );
  }
  for (const c of r.stageChecks ?? []) lines.push(`| stage check | ${cell(describeStageCheck(c))} |`);
  if (r.liveEvidence !== undefined) lines.push(`| live evidence | ${cell(describeLive(r.liveEvidence))} |`);
  for (const s of r.skipped) lines.push(`| skipped | ${cell(s)} |`);
  return `${lines.join("\n")}\n`;
}

/** The live evidence session in one line. */
export function describeLive(l: LiveTailSummary): string {
  const delay = l.maxDelayMs !== undefined ? `, requests seen within ${(l.maxDelayMs / 1000).toFixed(1)} s` : "";
  const sampled = l.sampledUpdates > 0 ? `, ${l.sampledUpdates} sampled (judged as proportions)` : "";
  const unseen = l.unseenSeconds > 0 ? `, ${l.unseenSeconds} s unseen while reconnecting` : "";
  const late = l.lateEvents > 0 ? `, ${l.lateEvents} arrived after their watermark` : "";
  return `${l.events} events in ${l.updates} updates over ${l.sessions} session${l.sessions === 1 ? "" : "s"}${delay}${sampled}${unseen}${late}${l.unavailable !== undefined ? `; unavailable: ${l.unavailable}` : ""}`;
}

export function describeAlias(a: { functionVersion: string; weights: Readonly<Record<string, number>> }): string {
  const split = Object.entries(a.weights);
  if (split.length === 0) return `alias wholly on version ${a.functionVersion}`;
  return `alias split: version ${a.functionVersion} ${100 - split.reduce((n, [, p]) => n + p, 0)}%, ${split.map(([v, p]) => `version ${v} ${p}%`).join(", ")}`;
}

/** Final human lines, printed after progress. */
export function renderSummary(r: ReleaseReport): string[] {
  const lines = [`${r.outcome}: ${r.message}`];
  if (r.finalAlias !== undefined) lines.push(describeAlias(r.finalAlias));
  for (const c of r.stageChecks ?? []) if (!c.ok) lines.push(`stage check: ${describeStageCheck(c)}`);
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  lines.push(`exit code ${r.exitCode}`);
  return lines;
}

/** What `release --probe <url>` saw (filled in by release/probe/release-probe.ts). */
export interface ReleaseProbeFigures {
  readonly url: string;
  readonly requests: number;
  /** Answered 200 (seed 000's ok). */
  readonly ok: number;
  /** Another status, or no answer. */
  readonly failures: number;
  /** Answers per `x-function-version`, in order of first appearance; `(none)` for no header or no answer. */
  readonly perVersion: ReadonlyArray<{ readonly version: string; readonly count: number }>;
  readonly ndjson: string;
  /** The chart file, when it was written. */
  readonly chart?: string;
  readonly bucketSeconds?: number;
  /** Why no chart was written. */
  readonly chartError?: string;
}

/** One stage check in a line: stage, weight, answers per version, and the first failure with its route, status, version and API Gateway body. */
export function describeStageCheck(c: StageCheckRecord): string {
  const versions = Object.entries(c.byVersion).map(([v, n]) => `version ${v}: ${n}`).join(", ") || "no answer from the function";
  const head = `${c.ok ? "ok" : "FAIL"} stage ${c.stage} at ${c.percent}%: ${c.requests} request${c.requests === 1 ? "" : "s"} (${versions})`;
  const f = c.failures[0];
  if (f === undefined) return c.reason !== undefined ? `${head}; ${c.reason}` : head;
  return `${head}; ${f.route} → ${f.status ?? "no answer"}${f.version !== undefined ? ` from version ${f.version}` : ""}: ${f.problem}${f.gatewayBody !== undefined ? `; API Gateway's body: ${f.gatewayBody}` : ""}`;
}
