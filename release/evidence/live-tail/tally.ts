/**
 * What Live Tail has shown so far, counted per version and per second of the request's own
 * time (its document's Timestamp), so a window is summed by when requests were answered, not by
 * when their documents arrived. Keeps every latency of the window: the threshold slow requests
 * are counted against is known only once the previous version's p99 has been read.
 */
import type { VersionFigures } from "../../judge/decision";
import type { FunctionEvent } from "./document";

interface Second {
  requests: number;
  serverErrors: number;
  latencies: number[];
  /** Invocation reports of the version (any alias, or none). */
  reports: number;
  /** Some of this second's events came in an update that was a sample (over 500 events). */
  sampled: boolean;
}

export interface LiveFigures {
  readonly figures: VersionFigures;
  /** Lambda's reports of the version in the same window: every invocation, through any alias or none. */
  readonly reports: number;
  /** The figures are a sample: proportions hold, totals do not. */
  readonly sampled: boolean;
}

export class LiveTally {
  private readonly versions = new Map<string, Map<number, Second>>();

  constructor(private readonly alias: string) {}

  private second(version: string, at: number): Second {
    let seconds = this.versions.get(version);
    if (seconds === undefined) this.versions.set(version, (seconds = new Map()));
    const key = Math.floor(at / 1000);
    let s = seconds.get(key);
    if (s === undefined) seconds.set(key, (s = { requests: 0, serverErrors: 0, latencies: [], reports: 0, sampled: false }));
    return s;
  }

  /** Counts one event; another alias's documents are not this release's. */
  add(event: FunctionEvent, sampled: boolean): void {
    if (event.kind === "request") {
      if (event.alias !== this.alias) return;
      const s = this.second(event.version, event.at);
      s.requests += 1;
      if (event.serverError) s.serverErrors += 1;
      if (event.latencyMs !== undefined) s.latencies.push(event.latencyMs);
      s.sampled ||= sampled;
    } else {
      const s = this.second(event.version, event.at);
      s.reports += 1;
      s.sampled ||= sampled;
    }
  }

  /**
   * One version over [since, until) by request time. `thresholdMs`: requests strictly slower
   * count as slow, as CloudWatch's TC(threshold:) does (its lower bound is exclusive).
   */
  figures(version: string, since: number, until: number, thresholdMs?: number): LiveFigures {
    let requests = 0;
    let serverErrors = 0;
    let timed = 0;
    let slow = 0;
    let reports = 0;
    let sampled = false;
    const from = Math.floor(since / 1000);
    // Whole seconds only: the second the watermark falls in may still be arriving.
    const to = Math.floor(until / 1000);
    for (const [second, s] of this.versions.get(version) ?? []) {
      if (second < from || second >= to) continue;
      requests += s.requests;
      serverErrors += s.serverErrors;
      reports += s.reports;
      sampled ||= s.sampled;
      timed += s.latencies.length;
      if (thresholdMs !== undefined) for (const l of s.latencies) if (l > thresholdMs) slow += 1;
    }
    const figures: VersionFigures = { requests, serverErrors, ...(thresholdMs !== undefined ? { latency: { timedRequests: timed, slowRequests: slow } } : {}) };
    return { figures, reports, sampled };
  }
}
