/**
 * What the decision rule is given: per-version counts for the window so far, and where the
 * count comes from in CloudWatch. Validated here, before any statistic is computed, so that a
 * gatherer bug reads as a named field and a rule rather than as a NaN in a likelihood ratio.
 */

/** Latency of one version's requests in the window. */
export interface LatencyFigures {
  /**
   * Requests whose latency was recorded (SampleCount of the latency metric). Defaults to the
   * version's `requests`.
   */
  readonly timedRequests?: number;
  /**
   * Requests slower than `DecisionInput.latencyThresholdMs`. CloudWatch gives it directly as the
   * trimmed count TC(threshold:) of the latency metric, whose lower bound is exclusive, or as
   * (100 − PR(:threshold)) × SampleCount / 100, rounded
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
   */
  readonly slowRequests?: number;
  /** Median latency, for the report. */
  readonly p50Ms?: number;
  /** p99 latency; compared (coarsely) only when slow-request counts are not given. */
  readonly p99Ms?: number;
}

/** One version's figures over one window. Counts are whole numbers; each event count ≤ its requests. */
export interface VersionFigures {
  /** Requests the version answered (the EMF request count; Lambda Invocations when EMF is missing). */
  readonly requests: number;
  /** Answers with a 5xx status, handled or not (EMF). Undefined when the version does not publish them. */
  readonly serverErrors?: number;
  /** Lambda `Invocations` of the version, the exposure for `unhandledErrors`. Defaults to `requests`. */
  readonly invocations?: number;
  /** Lambda `Errors` (unhandled exceptions, timeouts, crashes) where known. */
  readonly unhandledErrors?: number;
  readonly latency?: LatencyFigures;
}

/** Time, as an input: the rule reads no clock. */
export interface DecisionTime {
  /** Seconds since this window began (the step's shift). */
  readonly elapsedSeconds: number;
  /** The step may advance only after this long, however strong the evidence of health. */
  readonly minBakeSeconds: number;
  /** With no decision by then, the step ends: rolled back, or promoted if the settings allow. */
  readonly deadlineSeconds: number;
}

export interface DecisionInput {
  /** The new version, in the window so far. */
  readonly target: VersionFigures;
  /** The previous version over the same window (its share of the split); undefined when it got none. */
  readonly baseline?: VersionFigures;
  /**
   * The previous version before the first shift (e.g. the hour before the release): usually far
   * more requests than the window, so a clean previous version makes the target's first failures
   * strong evidence. Added to `baseline` for every count it shares.
   */
  readonly preRelease?: VersionFigures;
  /** The threshold `slowRequests` counts against (typically the previous version's p99), in ms. */
  readonly latencyThresholdMs?: number;
  readonly time?: DecisionTime;
}

/** Figures the rule cannot use; `problems` name field, value, rule and fix. */
export class DecisionInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`decision input is invalid:\n  ${problems.join("\n  ")}`);
    this.name = "DecisionInputError";
  }
}

const MAX_COUNT = 1e12;

function checkCount(problems: string[], field: string, value: unknown, required: boolean): value is number {
  if (value === undefined) {
    if (required) problems.push(`${field} is missing: give the count (0 when there was no traffic).`);
    return false;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    problems.push(`${field} = ${String(value)}: counts are finite numbers; a metric CloudWatch returned no datapoint for is 0.`);
  } else if (value < 0) {
    problems.push(`${field} = ${value}: counts cannot be negative.`);
  } else if (!Number.isInteger(value)) {
    problems.push(`${field} = ${value}: counts are whole numbers; round a count derived from a percentage (PR × SampleCount / 100).`);
  } else if (value > MAX_COUNT) {
    problems.push(`${field} = ${value}: counts above ${MAX_COUNT} are not plausible for one window.`);
  } else return true;
  return false;
}

function checkNotAbove(problems: string[], field: string, value: number | undefined, limitField: string, limit: number | undefined): void {
  if (value !== undefined && limit !== undefined && Number.isInteger(value) && Number.isInteger(limit) && value > limit) {
    problems.push(`${field} = ${value} exceeds ${limitField} = ${limit}: a version cannot fail more requests than it served; read both over the same period.`);
  }
}

function checkMs(problems: string[], field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) problems.push(`${field} = ${String(value)}: latencies are finite, non-negative milliseconds.`);
}

function checkVersion(problems: string[], name: string, v: VersionFigures | undefined, required: boolean): void {
  if (v === undefined) {
    if (required) problems.push(`${name} is missing: give the target's figures for the window.`);
    return;
  }
  const requests = checkCount(problems, `${name}.requests`, v.requests, true) ? v.requests : undefined;
  checkCount(problems, `${name}.serverErrors`, v.serverErrors, false);
  checkNotAbove(problems, `${name}.serverErrors`, v.serverErrors, `${name}.requests`, requests);
  const invocations = checkCount(problems, `${name}.invocations`, v.invocations, false) ? v.invocations : requests;
  checkCount(problems, `${name}.unhandledErrors`, v.unhandledErrors, false);
  checkNotAbove(problems, `${name}.unhandledErrors`, v.unhandledErrors, v.invocations === undefined ? `${name}.requests` : `${name}.invocations`, invocations);
  if (v.latency !== undefined) {
    const l = v.latency;
    const timed = checkCount(problems, `${name}.latency.timedRequests`, l.timedRequests, false) ? l.timedRequests : requests;
    checkCount(problems, `${name}.latency.slowRequests`, l.slowRequests, false);
    checkNotAbove(problems, `${name}.latency.slowRequests`, l.slowRequests, l.timedRequests === undefined ? `${name}.requests` : `${name}.latency.timedRequests`, timed);
    checkMs(problems, `${name}.latency.p50Ms`, l.p50Ms);
    checkMs(problems, `${name}.latency.p99Ms`, l.p99Ms);
  }
}

/** Throws DecisionInputError listing every problem at once. */
export function validateDecisionInput(input: DecisionInput): void {
  const problems: string[] = [];
  checkVersion(problems, "target", input.target, true);
  checkVersion(problems, "baseline", input.baseline, false);
  checkVersion(problems, "preRelease", input.preRelease, false);
  const t = input.target;
  if (t !== undefined && t.serverErrors === undefined && t.unhandledErrors === undefined) {
    problems.push("target has neither serverErrors nor unhandledErrors: the rule needs at least one failure count for the target (0 when none failed).");
  }
  const slowGiven = [input.target?.latency, input.baseline?.latency, input.preRelease?.latency].some((l) => l?.slowRequests !== undefined);
  if (slowGiven && !(typeof input.latencyThresholdMs === "number" && Number.isFinite(input.latencyThresholdMs) && input.latencyThresholdMs > 0)) {
    problems.push(`latencyThresholdMs = ${String(input.latencyThresholdMs)}: slowRequests are counted against a threshold; give it in milliseconds (> 0).`);
  }
  if (input.time !== undefined) {
    for (const key of ["elapsedSeconds", "minBakeSeconds", "deadlineSeconds"] as const) {
      const v = input.time[key];
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) problems.push(`time.${key} = ${String(v)}: seconds are finite and non-negative.`);
    }
    if (input.time.deadlineSeconds < input.time.minBakeSeconds) {
      problems.push(`time.deadlineSeconds = ${input.time.deadlineSeconds} is before time.minBakeSeconds = ${input.time.minBakeSeconds}: the evidence deadline cannot come before the minimum bake.`);
    }
  }
  if (problems.length > 0) throw new DecisionInputError(problems);
}
