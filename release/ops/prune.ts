/**
 * `prune`: which function versions and artifacts can go. Gathering (AWS calls, `gatherPrune`),
 * deciding (pure, `planPrune`) and deleting (`applyPrune`) are apart, so the rule is tested as a
 * table and the deletions against mocked AWS.
 *
 * A version is kept when any alias references it (primary or weighted, a 0.0 weight included),
 * when it is the stack's latest published version, when it is among the newest `keep`, or when
 * an alias ran it within the last `recentMinutes` (Lambda's Invocations per ExecutedVersion).
 * The last rule is there because a changed alias reaches every invoke frontend after a delay
 * AWS does not bound (DataBiosphere/azul#7883 saw invocations reach a replaced version): a
 * version an alias just left may still be serving, so it is judged by what ran, not by what
 * the alias says now. Where those metrics cannot be read, no version is deleted.
 * An artifact (content-addressed `<prefix><sha256 hex>.zip`) is kept when a kept version, or
 * $LATEST, runs that code (Lambda's CodeSha256 is the base64 of the same SHA-256).
 */
import { AccessDeniedStop } from "../aws/call";
import type { CloudWatchPort } from "../aws/cloudwatch";
import type { AliasRef, ArtifactObject, InventoryPort, PublishedVersion } from "../aws/inventory";

export interface PruneFacts {
  readonly functionName: string;
  readonly aliases: readonly AliasRef[];
  readonly versions: readonly PublishedVersion[];
  /** undefined when no stack outputs name the bucket (artifacts are then not looked at). */
  readonly artifacts?: { readonly bucket: string; readonly prefix: string; readonly objects: readonly ArtifactObject[] };
  /**
   * What ran recently: version → the aliases that invoked it within `minutes`; or why that could
   * not be read. Undefined when not looked at (--recent-minutes 0).
   */
  readonly recent?: { readonly minutes: number; readonly ranBy: ReadonlyMap<string, readonly string[]> } | { readonly minutes: number; readonly unreadable: string };
}

export interface VersionVerdict {
  readonly version: string;
  readonly codeSize?: number;
  /** Why it stays; empty when it can go. */
  readonly keptBecause: readonly string[];
}

export interface PrunePlan {
  readonly versions: readonly VersionVerdict[];
  readonly deletableVersions: readonly string[];
  readonly artifacts: ReadonlyArray<{ readonly key: string; readonly size: number; readonly keptBecause: readonly string[] }>;
  readonly deletableArtifacts: readonly string[];
}

/** Base64 CodeSha256 → the hex in the artifact key. */
export const shaHex = (base64: string) => Buffer.from(base64, "base64").toString("hex");

export function planPrune(facts: PruneFacts, opts: { keep: number; latestVersion?: string }): PrunePlan {
  const referencedBy = new Map<string, string[]>();
  for (const a of facts.aliases) {
    for (const [v, how] of [[a.functionVersion, "primary"], ...a.weighted.map((w) => [w, "weighted"])] as Array<[string, string]>) {
      referencedBy.set(v, [...(referencedBy.get(v) ?? []), `alias ${a.name} (${how})`]);
    }
  }
  const numbered = facts.versions.filter((v) => /^\d+$/.test(v.version)).sort((a, b) => Number(b.version) - Number(a.version));
  const newest = new Set(numbered.slice(0, opts.keep).map((v) => v.version));
  const versions: VersionVerdict[] = numbered.map((v) => {
    const kept = [
      ...(referencedBy.get(v.version) ?? []),
      ...(v.version === opts.latestVersion ? ["the stack's latest version"] : []),
      ...(newest.has(v.version) ? [`among the newest ${opts.keep}`] : []),
    ];
    return { version: v.version, codeSize: v.codeSize, keptBecause: [...kept, ...recentReasons(facts.recent, v.version, kept.length > 0)] };
  });
  const deletableVersions = versions.filter((v) => v.keptBecause.length === 0).map((v) => v.version);

  const keptCode = new Map<string, string[]>();
  for (const v of facts.versions) {
    if (v.codeSha256 === undefined || deletableVersions.includes(v.version)) continue;
    const hex = shaHex(v.codeSha256);
    keptCode.set(hex, [...(keptCode.get(hex) ?? []), v.version === "$LATEST" ? "$LATEST" : `version ${v.version}`]);
  }
  const artifacts = (facts.artifacts?.objects ?? []).map((o) => {
    const rest = o.key.slice(facts.artifacts?.prefix.length ?? 0);
    const hex = /^([0-9a-f]{64})\.zip$/.exec(rest)?.[1];
    const keptBecause = hex === undefined ? ["not a content-addressed <sha256>.zip key: left alone"] : (keptCode.get(hex) ?? []).map((w) => `code of ${w}`);
    return { key: o.key, size: o.size, keptBecause };
  });
  return { versions, deletableVersions, artifacts, deletableArtifacts: artifacts.filter((a) => a.keptBecause.length === 0).map((a) => a.key) };
}

function recentReasons(recent: PruneFacts["recent"], version: string, keptAnyway: boolean): string[] {
  if (recent === undefined) return [];
  if ("unreadable" in recent) return keptAnyway ? [] : [`Lambda's invocations of the last ${recent.minutes} minutes could not be read (${recent.unreadable}), so whether an alias still runs it is unknown`];
  const by = recent.ranBy.get(version) ?? [];
  return by.length > 0 ? [`alias ${by.join(", ")} ran it in the last ${recent.minutes} minutes (an alias change reaches every invoker only after a delay)`] : [];
}

/**
 * Which of `versions` each alias ran in the `minutes` before `until`: Lambda's Invocations with
 * the alias's Resource and ExecutedVersion dimensions
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#invocation-metrics).
 */
export async function gatherRecent(cloudwatch: CloudWatchPort, functionName: string, aliases: readonly string[], versions: readonly string[], minutes: number, until: Date): Promise<NonNullable<PruneFacts["recent"]>> {
  const pairs = aliases.flatMap((alias) => versions.map((version) => ({ alias, version })));
  const ranBy = new Map<string, string[]>();
  // GetMetricData takes at most 500 queries a call (MetricDataQueries, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
  for (let i = 0; i < pairs.length; i += 500) {
    const chunk = pairs.slice(i, i + 500);
    let read: Awaited<ReturnType<CloudWatchPort["sums"]>>;
    try {
      read = await cloudwatch.sums(
        chunk.map((p, j) => ({ id: `q${i + j}`, metricName: "Invocations", dimensions: { FunctionName: functionName, Resource: `${functionName}:${p.alias}`, ExecutedVersion: p.version } })),
        new Date(until.getTime() - minutes * 60_000),
        until,
      );
    } catch (e) {
      // Without the read, nothing may go: a denied read keeps every version, and says which grant is missing.
      if (e instanceof AccessDeniedStop) return { minutes, unreadable: `access denied: cloudwatch:GetMetricData, which prune's grant includes (README: Pruning)` };
      throw e;
    }
    const { totals, problems } = read;
    if (problems.length > 0) return { minutes, unreadable: problems.join("; ") };
    chunk.forEach((p, j) => {
      if ((totals[`q${i + j}`] ?? 0) > 0) ranBy.set(p.version, [...(ranBy.get(p.version) ?? []), p.alias]);
    });
  }
  return { minutes, ranBy };
}

export async function gatherPrune(inv: InventoryPort, functionName: string, artifacts?: { bucket: string; prefix: string }): Promise<PruneFacts> {
  const aliases = await inv.aliases(functionName);
  const versions = await inv.versions(functionName);
  return {
    functionName,
    aliases,
    versions,
    ...(artifacts !== undefined ? { artifacts: { ...artifacts, objects: await inv.artifacts(artifacts.bucket, artifacts.prefix) } } : {}),
  };
}

export interface PruneOutcome {
  readonly deleted: readonly string[];
  /** Versions found referenced on the re-read, or refused by Lambda: kept. */
  readonly kept: ReadonlyArray<{ readonly version: string; readonly reason: string }>;
  readonly deletedArtifacts: readonly string[];
  /** Artifacts not deleted because a version that uses them was kept after all. */
  readonly keptArtifacts: readonly string[];
}

/**
 * Deletes the plan's versions one by one, re-reading the aliases before each (a release may
 * have pointed an alias at one since the plan), then the artifacts no remaining version uses.
 */
export async function applyPrune(inv: InventoryPort, facts: PruneFacts, plan: PrunePlan, line: (s: string) => void): Promise<PruneOutcome> {
  const deleted: string[] = [];
  const kept: Array<{ version: string; reason: string }> = [];
  for (const version of plan.deletableVersions) {
    const now = await inv.aliases(facts.functionName);
    const refs = now.filter((a) => a.functionVersion === version || a.weighted.includes(version)).map((a) => a.name);
    if (refs.length > 0) {
      kept.push({ version, reason: `alias ${refs.join(", ")} now references it` });
      line(`kept version ${version}: alias ${refs.join(", ")} now references it`);
      continue;
    }
    const result = await inv.deleteVersion(facts.functionName, version);
    if (result.kind === "refused") {
      kept.push({ version, reason: `Lambda refused: ${result.reason}` });
      line(`kept version ${version}: Lambda refused to delete it (${result.reason})`);
    } else {
      deleted.push(version);
      line(result.kind === "deleted" ? `deleted version ${version}` : `version ${version} was already gone`);
    }
  }
  const deletedArtifacts: string[] = [];
  const keptArtifacts: string[] = [];
  if (facts.artifacts !== undefined && plan.deletableArtifacts.length > 0) {
    // A version kept after all still needs its code: recompute with it counted as kept.
    const stillThere = facts.versions.filter((v) => !deleted.includes(v.version));
    const needed = new Set(stillThere.filter((v) => v.codeSha256 !== undefined).map((v) => `${facts.artifacts?.prefix}${shaHex(v.codeSha256 as string)}.zip`));
    for (const key of plan.deletableArtifacts) {
      if (needed.has(key)) {
        keptArtifacts.push(key);
        line(`kept ${key}: a version that was kept uses it`);
        continue;
      }
      await inv.deleteArtifact(facts.artifacts.bucket, key);
      deletedArtifacts.push(key);
      line(`deleted s3://${facts.artifacts.bucket}/${key} (a delete marker; the data expires with the bucket's noncurrent-version rule)`);
    }
  }
  return { deleted, kept, deletedArtifacts, keptArtifacts };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function renderPlan(facts: PruneFacts, plan: PrunePlan): string[] {
  const lines = [`function ${facts.functionName}: ${plan.versions.length} published version(s), ${plan.deletableVersions.length} can go`];
  for (const v of plan.versions) {
    lines.push(`  version ${v.version.padEnd(5)} ${v.codeSize !== undefined ? mb(v.codeSize).padStart(9) : "".padStart(9)}  ${v.keptBecause.length === 0 ? "can go" : `kept: ${v.keptBecause.join("; ")}`}`);
  }
  if (facts.artifacts === undefined) lines.push("artifacts: not looked at (no stack outputs name the artifact bucket; pass --outputs or --stack)");
  else {
    const size = plan.artifacts.filter((a) => a.keptBecause.length === 0).reduce((n, a) => n + a.size, 0);
    lines.push(`artifacts in s3://${facts.artifacts.bucket}/${facts.artifacts.prefix}: ${plan.artifacts.length}, ${plan.deletableArtifacts.length} no kept version uses (${mb(size)})`);
    for (const a of plan.artifacts) lines.push(`  ${a.key}  ${mb(a.size)}  ${a.keptBecause.length === 0 ? "can go" : `kept: ${a.keptBecause.join("; ")}`}`);
  }
  return lines;
}
