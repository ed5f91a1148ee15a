/**
 * Provisioned concurrency and the alias. Two waits, both on the injected clock, bounded and
 * reported as progress:
 *
 * 1. After an UpdateAlias that changes the primary version of an alias with provisioned
 *    concurrency, Lambda itself puts routing weights on the alias while it allocates the new
 *    version's execution environments: the alias reads "new version primary, old version at
 *    weight 1.0" until they are ready, then the weights are cleared. terraform-provider-aws
 *    waits for exactly this after every alias update without weights (PR #48116,
 *    `waitAliasRoutingWeightsCleared` in internal/service/lambda/alias.go: "AWS temporarily
 *    injects routing weights on the alias during the version transition"); while they are
 *    there, PutProvisionedConcurrencyConfig fails with "Alias with weights can not be used with
 *    Provisioned Concurrency" (hashicorp/terraform#24957). If the new version never initialises,
 *    the weights stay (so the wait is bounded).
 *    These weights are not another writer's: they appear right after our own write, keep the
 *    primary version we wrote and weight only the version we replaced. Whether Lambda's own
 *    routing changes bump the alias's RevisionId is not documented, so the wait judges by that
 *    shape, not by the RevisionId, and adopts the RevisionId of the settled alias. Any other
 *    state is another writer.
 * 2. Before a step is judged, the provisioned concurrency of the alias and of the versions
 *    carrying traffic must be READY (GetProvisionedConcurrencyConfig Status IN_PROGRESS → READY
 *    or FAILED, https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html);
 *    on a weighted alias Lambda re-divides it between the versions by weight
 *    (AllocatedProvisionedConcurrentExecutions "fluctuates" during canary and linear
 *    deployments, API_ProvisionedConcurrencyConfigListItem), and until it is allocated the
 *    target's share runs on cold, on-demand environments.
 */
import { describeAliasState, type AliasState, type LambdaPort, type ProvisionedConcurrency } from "../aws/lambda";
import { formatDuration, type Clock } from "../core/clock";
import { EXIT, ReleaseStop, conflict } from "../core/outcome";
import type { Progress } from "./report";

export interface WaitLimits {
  /** Give up after this long. Defaults to 900 s, the terraform-provider-aws alias update timeout. */
  readonly maxSeconds: number;
  /** Poll every this many seconds. Defaults to 10. */
  readonly pollSeconds: number;
}

export const PROVISIONED_WAIT: WaitLimits = { maxSeconds: 900, pollSeconds: 10 };

export interface WaitDeps {
  readonly lambda: LambdaPort;
  readonly clock: Clock;
  readonly progress: Progress;
  /** Cuts the wait short (the caller then rolls back); none while rolling back. */
  readonly signal?: AbortSignal;
  readonly limits?: WaitLimits;
}

/** A write that moved the alias's primary version from `from` to `primary`. */
export interface PrimaryChange {
  readonly functionName: string;
  readonly alias: string;
  readonly primary: string;
  readonly from: string;
}

/** The alias as our write left it plus, at most, Lambda's own weight on the version it replaced. */
export function isProvisionedTransition(a: Pick<AliasState, "functionVersion" | "weights" | "zeroWeights">, change: Pick<PrimaryChange, "primary" | "from">): boolean {
  return a.functionVersion === change.primary && Object.keys(a.weights).every((v) => v === change.from) && (a.zeroWeights ?? []).every((v) => v === change.from);
}

export type SettleResult =
  | { readonly kind: "settled"; readonly alias: AliasState }
  /** Neither our write nor Lambda's transition: someone else changed the alias. */
  | { readonly kind: "other-writer"; readonly alias: AliasState | undefined }
  | { readonly kind: "timed-out"; readonly alias: AliasState; readonly waitedSeconds: number }
  | { readonly kind: "interrupted"; readonly alias: AliasState };

/** Polls GetAlias until Lambda's transition weights are gone (see 1. above). */
export async function waitForAliasToSettle(deps: WaitDeps, change: PrimaryChange): Promise<SettleResult> {
  const { lambda, clock, progress } = deps;
  const limits = deps.limits ?? PROVISIONED_WAIT;
  const started = clock.now();
  let reported = false;
  for (;;) {
    const now = await lambda.getAlias(change.functionName, change.alias);
    if (now === undefined || !isProvisionedTransition(now, change)) return { kind: "other-writer", alias: now };
    const waited = (clock.now() - started) / 1000;
    if (Object.keys(now.weights).length === 0 && (now.zeroWeights ?? []).length === 0) {
      if (reported) progress.line(`alias ${change.alias} is wholly on version ${change.primary}: Lambda cleared its provisioned-concurrency weights after ${formatDuration(waited)}`);
      return { kind: "settled", alias: now };
    }
    if (!reported) {
      progress.line(
        `waiting for Lambda to allocate provisioned concurrency for version ${change.primary}: it keeps ${now.weights[change.from] ?? 0}% on version ${change.from} meanwhile (up to ${formatDuration(limits.maxSeconds)})`,
      );
      reported = true;
    }
    if (deps.signal?.aborted === true) return { kind: "interrupted", alias: now };
    if (waited + limits.pollSeconds > limits.maxSeconds) return { kind: "timed-out", alias: now, waitedSeconds: waited };
    progress.status(`provisioned concurrency: alias ${change.alias} still routes ${now.weights[change.from] ?? 0}% to version ${change.from} · ${formatDuration(waited)} of ${formatDuration(limits.maxSeconds)}`);
    await clock.sleep(limits.pollSeconds * 1000, deps.signal);
  }
}

export type ReadyResult =
  | { readonly kind: "ready" }
  | { readonly kind: "failed"; readonly qualifier: string; readonly config: ProvisionedConcurrency }
  | { readonly kind: "timed-out"; readonly pending: readonly string[]; readonly waitedSeconds: number }
  | { readonly kind: "interrupted" };

/** Polls GetProvisionedConcurrencyConfig for each qualifier until all are READY (see 2. above). */
export async function waitForProvisionedReady(deps: WaitDeps, functionName: string, qualifiers: readonly string[]): Promise<ReadyResult> {
  const { lambda, clock, progress } = deps;
  const limits = deps.limits ?? PROVISIONED_WAIT;
  const started = clock.now();
  let pending = [...qualifiers];
  let reported = false;
  for (;;) {
    const still: string[] = [];
    const shown: string[] = [];
    for (const q of pending) {
      const config = await lambda.provisionedConcurrency(functionName, q);
      // Removed meanwhile: nothing left to wait for on that qualifier.
      if (config === undefined || config.status === "READY") continue;
      if (config.status === "FAILED") return { kind: "failed", qualifier: q, config };
      still.push(q);
      shown.push(`${q} ${config.allocated ?? 0}/${config.requested ?? "?"} allocated (${config.status})`);
    }
    const waited = (clock.now() - started) / 1000;
    if (still.length === 0) {
      if (reported) progress.line(`provisioned concurrency READY for ${qualifiers.join(", ")} after ${formatDuration(waited)}`);
      return { kind: "ready" };
    }
    if (!reported) {
      progress.line(`waiting for provisioned concurrency to be READY before judging (${shown.join("; ")}; up to ${formatDuration(limits.maxSeconds)})`);
      reported = true;
    }
    if (deps.signal?.aborted === true) return { kind: "interrupted" };
    if (waited + limits.pollSeconds > limits.maxSeconds) return { kind: "timed-out", pending: still, waitedSeconds: waited };
    progress.status(`provisioned concurrency: ${shown.join("; ")} · ${formatDuration(waited)} of ${formatDuration(limits.maxSeconds)}`);
    pending = still;
    await clock.sleep(limits.pollSeconds * 1000, deps.signal);
  }
}

/**
 * A split found before the release started, on an alias whose provisioned concurrency is still
 * IN_PROGRESS, may be Lambda's transition after someone (an earlier release, a console edit)
 * moved the alias: it then looks like a split towards the version that was replaced. Waits until
 * the weights are gone or the allocation is over (READY or FAILED), so the split is judged
 * (preflight: unfinished release, or another one) only once Lambda is done with it.
 * Returns how long it waited, in seconds.
 */
export async function waitForInheritedTransition(deps: WaitDeps, functionName: string, alias: string): Promise<number> {
  const { lambda, clock, progress } = deps;
  const limits = deps.limits ?? PROVISIONED_WAIT;
  const started = clock.now();
  let reported = false;
  for (;;) {
    const now = await lambda.getAlias(functionName, alias);
    const waited = (clock.now() - started) / 1000;
    if (now === undefined || Object.keys(now.weights).length !== 1) return waited;
    const config = await lambda.provisionedConcurrency(functionName, alias);
    if (config === undefined || config.status !== "IN_PROGRESS") {
      if (reported) progress.line(`provisioned concurrency of alias ${alias} is ${config?.status ?? "gone"}; the alias still routes ${Object.entries(now.weights).map(([v, p]) => `${p}% to version ${v}`).join("")}`);
      return waited;
    }
    if (!reported) {
      progress.line(`alias ${alias} is split while Lambda allocates its provisioned concurrency (this may be Lambda's own transition weight); waiting up to ${formatDuration(limits.maxSeconds)} for it to finish`);
      reported = true;
    }
    if (deps.signal?.aborted === true || waited + limits.pollSeconds > limits.maxSeconds) return waited;
    progress.status(`provisioned concurrency of alias ${alias}: ${config.allocated ?? 0}/${config.requested ?? "?"} allocated · ${formatDuration(waited)} of ${formatDuration(limits.maxSeconds)}`);
    await clock.sleep(limits.pollSeconds * 1000, deps.signal);
  }
}

/** Where provisioned concurrency is configured: on the alias, and on which of the release's versions. */
export interface ProvisionedSet {
  readonly alias: boolean;
  readonly versions: ReadonlySet<string>;
  /** e.g. ["alias live", "version 42"], for the report. */
  readonly where: readonly string[];
}

export async function findProvisioned(lambda: LambdaPort, functionName: string, alias: string, versions: readonly string[]): Promise<ProvisionedSet> {
  const onAlias = (await lambda.provisionedConcurrency(functionName, alias)) !== undefined;
  const onVersions = new Set<string>();
  // $LATEST cannot have provisioned concurrency (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
  for (const v of versions) if (v !== "$LATEST" && (await lambda.provisionedConcurrency(functionName, v)) !== undefined) onVersions.add(v);
  return { alias: onAlias, versions: onVersions, where: [...(onAlias ? [`alias ${alias}`] : []), ...[...onVersions].map((v) => `version ${v}`)] };
}

interface ReleaseScope {
  readonly functionName: string;
  readonly alias: string;
  readonly previous: string;
  readonly target: string;
}

/** The qualifiers to wait on before judging a step at `percent`: the alias, and the versions carrying traffic. */
export function servingQualifiers(set: ProvisionedSet, scope: ReleaseScope, percent: number): string[] {
  return [
    ...(set.alias ? [scope.alias] : []),
    ...(percent < 100 && set.versions.has(scope.previous) ? [scope.previous] : []),
    ...(percent > 0 && set.versions.has(scope.target) ? [scope.target] : []),
  ];
}

/** Why a step cannot be judged (the release rolls back), or undefined when all is READY or the wait was interrupted. */
export function notReadyStop(ready: ReadyResult, scope: ReleaseScope, percent: number): ReleaseStop | undefined {
  if (ready.kind === "failed") {
    return new ReleaseStop(
      "rolled-back",
      EXIT.rolledBack,
      `provisioned concurrency of ${ready.qualifier} FAILED at ${percent}%: ${ready.config.statusReason ?? "no reason given"}. Look into version ${scope.target} (its initialisation, in its logs), fix it and release a new version`,
    );
  }
  if (ready.kind === "timed-out") {
    return new ReleaseStop(
      "rolled-back",
      EXIT.rolledBack,
      `provisioned concurrency of ${ready.pending.join(", ")} not READY after ${formatDuration(ready.waitedSeconds)} at ${percent}%, so the step could not be judged on warm environments. Check 'aws lambda get-provisioned-concurrency-config --function-name ${scope.functionName} --qualifier ${ready.pending[0]}' and the account's concurrency quota, then release again`,
    );
  }
  return undefined;
}

/** Why a primary-version change did not settle: another writer (conflict) or Lambda never cleared its weight (roll back). */
export function unsettledStop(settled: SettleResult, change: PrimaryChange): ReleaseStop | undefined {
  if (settled.kind === "other-writer") {
    return conflict(
      `after the write to version ${change.primary}, alias ${change.alias} is ${settled.alias === undefined ? "gone" : describeAliasState(settled.alias)}, which is neither that write nor Lambda's provisioned-concurrency transition; someone else changed it and it was left as they set it. Check it and rerun.`,
    );
  }
  if (settled.kind === "timed-out") {
    return new ReleaseStop(
      "rolled-back",
      EXIT.rolledBack,
      `version ${change.primary} did not take over: after ${formatDuration(settled.waitedSeconds)} Lambda still routes traffic to version ${change.from} while it allocates provisioned concurrency (${describeAliasState(settled.alias)}). Check 'aws lambda get-provisioned-concurrency-config --function-name ${change.functionName} --qualifier ${change.alias}' (a version that fails to initialise never becomes READY)`,
    );
  }
  return undefined;
}
