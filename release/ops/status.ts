// Wing ops/: status and prune, which read (and, with prune --apply, delete) outside a release. May import: evidence, aws, core.
/**
 * `status`: an alias's state, read without changing anything. `gatherStatus` makes the AWS calls
 * (only reads the deployer role already has); `judgeStatus` (pure) says what the state means and
 * what `release --resume` / `--abort` would do, in the terms preflight.ts uses; `renderStatus`
 * formats it.
 */
import { DIMENSION, METRIC } from "../../lambda-src/metric-names";
import type { AlarmState, CloudWatchPort, MetricStatQuery } from "../aws/cloudwatch";
import type { AliasState, LambdaPort, ProvisionedConcurrency } from "../aws/lambda";
import type { RequestMetricsScope } from "../evidence/request-metrics";

export interface StatusScope {
  readonly functionName: string;
  readonly alias: string;
  readonly alarmNames: readonly string[];
  /** The stack's latestVersion output; undefined with explicit flags. */
  readonly latestVersion?: string;
  /** In artifact mode the latestVersion output does not know the versions the release step published. */
  readonly artifactMode: boolean;
  readonly requestMetrics?: RequestMetricsScope;
  readonly minutes: number;
}

export interface VersionFiguresNow {
  readonly version: string;
  readonly requests: number;
  readonly serverErrors: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

export interface StatusFacts {
  readonly alias?: AliasState;
  /** Provisioned concurrency of the alias and of each version it routes to (undefined: none). */
  readonly provisioned: ReadonlyArray<{ readonly qualifier: string; readonly config?: ProvisionedConcurrency }>;
  readonly alarms: readonly AlarmState[];
  readonly figures?: { readonly since: string; readonly until: string; readonly versions: readonly VersionFiguresNow[]; readonly problems: readonly string[] };
}

const sum = (v: readonly number[] | undefined) => Math.round((v ?? []).reduce((a, b) => a + b, 0));
const max = (v: readonly number[] | undefined) => (v === undefined || v.length === 0 ? undefined : Math.max(...v));

export async function gatherStatus(aws: { lambda: LambdaPort; cloudwatch: CloudWatchPort }, scope: StatusScope, now: number): Promise<StatusFacts> {
  const alias = await aws.lambda.getAlias(scope.functionName, scope.alias);
  if (alias === undefined) return { provisioned: [], alarms: [] };
  const serving = [alias.functionVersion, ...Object.keys(alias.weights), ...(alias.zeroWeights ?? [])];
  const provisioned: Array<{ qualifier: string; config?: ProvisionedConcurrency }> = [];
  // $LATEST cannot have provisioned concurrency (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
  for (const q of [scope.alias, ...serving.filter((v) => v !== "$LATEST")]) provisioned.push({ qualifier: q, config: await aws.lambda.provisionedConcurrency(scope.functionName, q) });
  const alarms = scope.alarmNames.length > 0 ? await aws.cloudwatch.alarmStates(scope.alarmNames) : [];
  if (scope.requestMetrics === undefined) return { alias, provisioned, alarms };

  // Whole minutes, one period over the whole span: GetMetricData rounds StartTime down to the
  // minute (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
  const end = Math.floor(now / 60_000) * 60_000;
  const start = end - scope.minutes * 60_000;
  const period = scope.minutes * 60;
  const m = scope.requestMetrics;
  const withFigures = serving.filter((v) => Object.keys(alias.weights).includes(v) || v === alias.functionVersion);
  const queries: MetricStatQuery[] = withFigures.flatMap((version, i) => {
    const dimensions = { service: m.serviceName, [DIMENSION.functionName]: scope.functionName, [DIMENSION.alias]: scope.alias, [DIMENSION.version]: version };
    return [
      { id: `v${i}Requests`, namespace: m.namespace, metricName: METRIC.requests, dimensions, stat: "Sum", period },
      { id: `v${i}ServerErrors`, namespace: m.namespace, metricName: METRIC.serverErrors, dimensions, stat: "Sum", period },
      { id: `v${i}P50`, namespace: m.namespace, metricName: METRIC.latency, dimensions, stat: "p50", period },
      { id: `v${i}P99`, namespace: m.namespace, metricName: METRIC.latency, dimensions, stat: "p99", period },
    ];
  });
  const { values, problems } = await aws.cloudwatch.statistics(queries, new Date(start), new Date(end));
  const versions = withFigures.map((version, i) => ({
    version,
    requests: sum(values[`v${i}Requests`]),
    serverErrors: sum(values[`v${i}ServerErrors`]),
    p50Ms: max(values[`v${i}P50`]),
    p99Ms: max(values[`v${i}P99`]),
  }));
  return { alias, provisioned, alarms, figures: { since: new Date(start).toISOString(), until: new Date(end).toISOString(), versions, problems } };
}

export type SplitKind = "none" | "unfinished-release" | "provisioned-transition" | "zero-weight";

export interface StatusView {
  readonly functionName: string;
  readonly alias: string;
  readonly found: boolean;
  readonly primary?: string;
  readonly revisionId?: string;
  /** Share of traffic per version, primary first; 0.0 weights listed with 0. */
  readonly weights: ReadonlyArray<{ readonly version: string; readonly percent: number; readonly awsWeight?: number }>;
  readonly latestVersion?: string;
  readonly latestReleased?: boolean;
  readonly split: SplitKind;
  /** What `release --resume` and `release --abort` would do now. */
  readonly resume?: string;
  readonly abort?: string;
  readonly notes: readonly string[];
  readonly provisioned: StatusFacts["provisioned"];
  readonly alarms: readonly AlarmState[];
  readonly firingAlarms: readonly string[];
  readonly figures?: StatusFacts["figures"];
}

export function judgeStatus(facts: StatusFacts, scope: StatusScope): StatusView {
  const base = { functionName: scope.functionName, alias: scope.alias, provisioned: facts.provisioned, alarms: facts.alarms, firingAlarms: facts.alarms.filter((a) => a.state === "ALARM").map((a) => a.name), figures: facts.figures };
  const a = facts.alias;
  if (a === undefined) return { ...base, found: false, weights: [], split: "none", notes: [`alias ${scope.alias} does not exist on function ${scope.functionName}; run 'pulumi up' for this stack first.`] };
  const split = Object.entries(a.weights);
  const zero = a.zeroWeights ?? [];
  const weights = [
    { version: a.functionVersion, percent: 100 - split.reduce((n, [, p]) => n + p, 0) },
    ...split.map(([version, percent]) => ({ version, percent, ...(a.nonWholeWeights?.[version] !== undefined ? { awsWeight: a.nonWholeWeights[version] } : {}) })),
    ...zero.map((version) => ({ version, percent: 0, awsWeight: 0 })),
  ];
  const notes: string[] = [];
  if (scope.artifactMode) notes.push("artifact mode (codeDeployment: release): the stack's latestVersion output is the version 'pulumi up' last published, not those the release step published since.");
  const latestReleased = scope.latestVersion === undefined ? undefined : a.functionVersion === scope.latestVersion && split.length === 0;
  const aliasPc = facts.provisioned.find((p) => p.qualifier === scope.alias)?.config;

  let kind: SplitKind = "none";
  let resume: string | undefined;
  let abort: string | undefined;
  if (split.length > 0) {
    const [version, percent] = split[0];
    if (aliasPc?.status === "IN_PROGRESS") {
      // See provisioned.ts: Lambda keeps the replaced version weighted while it allocates the new one.
      kind = "provisioned-transition";
      notes.push(
        `alias ${scope.alias} routes ${percent}% to version ${version} while Lambda allocates its provisioned concurrency (${aliasPc.allocated ?? 0}/${aliasPc.requested ?? "?"}): this may be Lambda's own transition weight, which it clears once version ${a.functionVersion} is ready.`,
      );
      resume = "waits (up to 15 minutes) for Lambda to finish allocating, then judges the split that remains";
      abort = resume;
    } else {
      kind = "unfinished-release";
      const odd = a.nonWholeWeights?.[version];
      if (odd !== undefined) resume = `stops with a conflict (exit 4): weight ${odd} on version ${version} is not a whole percentage, so this CLI did not write it`;
      else if (scope.artifactMode) resume = `with --to-version ${version}, continues the release of version ${version} from ${percent}% (artifact mode has no default target)`;
      else if (version === scope.latestVersion) resume = `continues the release of version ${version} from ${percent}%`;
      else resume = `stops with a conflict (exit 4) unless given --to-version ${version}: the split is towards version ${version}${scope.latestVersion !== undefined ? `, not the stack's latest ${scope.latestVersion}` : ""}; with it, continues from ${percent}%`;
      abort = `puts the alias wholly on version ${a.functionVersion} (exit 1)`;
    }
  } else if (zero.length > 0) {
    kind = "zero-weight";
    notes.push(`version ${zero.join(", ")} has weight 0.0 on the alias: it gets no traffic, but the alias is not plain.`);
    abort = `clears the weight 0 on version ${zero.join(", ")}; the alias stays on version ${a.functionVersion}`;
  }
  return { ...base, found: true, primary: a.functionVersion, revisionId: a.revisionId, weights, latestVersion: scope.latestVersion, latestReleased, split: kind, resume, abort, notes };
}

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(2)}%`);

export function renderStatus(v: StatusView, minutes: number): string[] {
  const lines = [`alias ${v.functionName}:${v.alias}`];
  if (!v.found) return [...lines, ...v.notes.map((n) => `  ${n}`)];
  lines.push(`  primary version ${v.primary}, RevisionId ${v.revisionId}`);
  lines.push(`  weights: ${v.weights.map((w) => `version ${w.version} ${w.percent}%${w.awsWeight !== undefined ? ` (weight ${w.awsWeight})` : ""}`).join(", ")}`);
  if (v.latestVersion !== undefined) lines.push(`  stack's latest version: ${v.latestVersion}, ${v.latestReleased === true ? "released (the alias is wholly on it)" : "not released"}`);
  lines.push(`  unfinished release: ${v.split === "unfinished-release" ? "yes" : v.split === "provisioned-transition" ? "perhaps (Lambda's provisioned-concurrency transition)" : "no"}`);
  if (v.resume !== undefined) lines.push(`    release --resume ${v.resume}`);
  if (v.abort !== undefined) lines.push(`    release --abort ${v.abort}`);
  for (const p of v.provisioned) {
    lines.push(
      `  provisioned concurrency on ${/^\d+$/.test(p.qualifier) ? "version" : "alias"} ${p.qualifier}: ${p.config === undefined ? "none" : `${p.config.status}, ${p.config.allocated ?? 0}/${p.config.requested ?? "?"} allocated${p.config.statusReason !== undefined ? ` (${p.config.statusReason})` : ""}`}`,
    );
  }
  if (v.alarms.length === 0) lines.push("  alarms: none watched");
  for (const a of v.alarms) lines.push(`  alarm ${a.name}: ${a.state}`);
  if (v.figures === undefined) lines.push("  request figures: not read (the stack outputs have no requestMetrics)");
  else {
    lines.push(`  last ${minutes} min (${v.figures.since} to ${v.figures.until}), from the function's EMF metrics:`);
    for (const f of v.figures.versions) {
      lines.push(`    version ${f.version.padEnd(5)} requests ${String(f.requests).padStart(7)}  5xx ${String(f.serverErrors).padStart(5)} (${pct(f.serverErrors, f.requests)})  p50 ${f.p50Ms === undefined ? "-" : `${Math.round(f.p50Ms)} ms`}  p99 ${f.p99Ms === undefined ? "-" : `${Math.round(f.p99Ms)} ms`}`);
    }
    for (const p of v.figures.problems) lines.push(`    incomplete: ${p}`);
  }
  for (const n of v.notes) lines.push(`  note: ${n}`);
  return lines;
}
