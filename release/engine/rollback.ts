/**
 * Rolling an alias back to the version it served before a release. It starts from a fresh
 * GetAlias: the last write may have been applied without its answer reaching us, so neither
 * the stored RevisionId nor the stored weight can be trusted. Only a state this release could
 * have written (its split or final-bake hold over the previous version, or the target wholly)
 * is rolled back; anything else belongs to someone else and is reported as it is. When the
 * RevisionId of the release's last write is known, any other RevisionId means someone else
 * wrote since, even when the alias looks like something this release could have written (for
 * example wholly back on the previous version): that is a concurrent change, left as it is.
 */
import { errorName } from "../aws/call";
import { describeAliasState, sameAlias, type AliasState, type LambdaPort } from "../aws/lambda";
import type { Clock } from "../core/clock";
import { EXIT, ReleaseStop } from "../core/outcome";
import { isProvisionedTransition, waitForAliasToSettle, type PrimaryChange, type WaitLimits } from "./provisioned";
import type { Progress } from "./report";

export interface RollbackScope {
  readonly functionName: string;
  readonly alias: string;
  /** The version the alias served before the release, and returns to. */
  readonly previous: string;
  readonly target: string;
  /** RevisionId returned by the release's last accepted write; undefined when its answer was lost. */
  readonly lastRevisionId?: string;
  /**
   * Set when the last write moved the primary version of an alias with provisioned
   * concurrency: Lambda's own transition weights (see provisioned.ts) may have changed the
   * alias, and its RevisionId, since.
   */
  readonly transition?: Pick<PrimaryChange, "primary" | "from">;
  /** The alias has provisioned concurrency: a rollback that moves its primary version waits for Lambda's weights to clear. */
  readonly provisioned?: boolean;
}

/** The clock for the wait after a rollback that moved the primary version of a provisioned alias. */
export interface RollbackWait {
  readonly clock: Clock;
  readonly limits?: WaitLimits;
}

export interface RollbackResult {
  /** Why the alias could not be put wholly on `previous`; undefined when it is. */
  readonly stop?: ReleaseStop;
  /** The alias as last read. */
  readonly finalAlias?: AliasState;
  /** false when the alias was already wholly on `previous` (nothing had moved), so nothing was written. */
  readonly wrote?: boolean;
  /**
   * What Lambda did after a rollback that moved a provisioned alias's primary version: it kept
   * serving the version rolled back from while it readied the previous version's environments.
   */
  readonly lambdaKept?: { readonly version: string; readonly seconds: number };
}

export async function rollbackAlias(lambda: LambdaPort, scope: RollbackScope, progress: Progress, wait?: RollbackWait): Promise<RollbackResult> {
  const { functionName, alias, previous } = scope;
  const wholly = { functionVersion: previous, weights: {} };
  let finalAlias: AliasState | undefined;
  let kept: RollbackResult["lambdaKept"];
  try {
    const now = await lambda.getAlias(functionName, alias);
    if (now === undefined) return { stop: new ReleaseStop("rollback-failed", EXIT.rollbackFailed, `alias ${alias} no longer exists on ${functionName}; recreate it with 'pulumi up'.`) };
    finalAlias = now;
    const lambdasOwn = scope.transition !== undefined && isProvisionedTransition(now, scope.transition);
    if (scope.lastRevisionId !== undefined && now.revisionId !== scope.lastRevisionId && !lambdasOwn) {
      return {
        finalAlias,
        stop: new ReleaseStop(
          "conflict",
          EXIT.conflict,
          `not rolled back: alias ${alias} was changed by someone else since this release's last write (RevisionId ${scope.lastRevisionId}, now ${now.revisionId}) and is ${describeAliasState(now)}; it was left as they set it. Check it with 'aws lambda get-alias --function-name ${functionName} --name ${alias}', then rerun or use --abort.`,
        ),
      };
    }
    if (sameAlias(now, wholly)) return { finalAlias, wrote: false };
    if (!writtenByRelease(now, scope)) {
      return {
        finalAlias,
        stop: new ReleaseStop(
          "conflict",
          EXIT.conflict,
          `not rolled back: alias ${alias} is ${describeAliasState(now)}, which this release did not write; someone else changed it and it was left as they set it. Check it, then rerun or use --abort.`,
        ),
      };
    }
    progress.line(`rolling back: alias ${alias} → version ${previous}, weights cleared`);
    await lambda.updateAlias(functionName, alias, { ...wholly, revisionId: now.revisionId });
    let after: AliasState | undefined;
    if (scope.provisioned === true && wait !== undefined && now.functionVersion !== previous) {
      // No signal: a rollback after an interrupt must still finish. Lambda keeps routing to the
      // version rolled back from until the previous version's provisioned environments are
      // allocated, for as long as that takes (AWS documents no figure): it is measured and said.
      progress.line(`rolling back: Lambda keeps version ${now.functionVersion} serving until version ${previous}'s provisioned concurrency is allocated; waiting for it`);
      const startedAt = wait.clock.now();
      const settled = await waitForAliasToSettle({ lambda, clock: wait.clock, progress, limits: wait.limits }, { functionName, alias, primary: previous, from: now.functionVersion });
      after = settled.alias;
      kept = { version: now.functionVersion, seconds: Math.round((wait.clock.now() - startedAt) / 1000) };
      if (settled.kind === "timed-out") {
        return {
          finalAlias: after,
          stop: new ReleaseStop(
            "rollback-failed",
            EXIT.rollbackFailed,
            `rollback was written, but after ${Math.round(settled.waitedSeconds)} s Lambda still routes traffic to version ${now.functionVersion} while it allocates provisioned concurrency for version ${previous} (${describeAliasState(settled.alias)}); check 'aws lambda get-provisioned-concurrency-config --function-name ${functionName} --qualifier ${alias}', then run again with --abort.`,
          ),
        };
      }
    } else {
      after = await lambda.getAlias(functionName, alias);
    }
    finalAlias = after;
    if (after === undefined || !sameAlias(after, wholly)) {
      return { finalAlias, stop: new ReleaseStop("rollback-failed", EXIT.rollbackFailed, `rollback was written but GetAlias does not show alias ${alias} wholly on version ${previous}; run again with --abort.`) };
    }
    return { finalAlias, wrote: true, ...(kept !== undefined ? { lambdaKept: kept } : {}) };
  } catch (e) {
    if (e instanceof ReleaseStop && e.kind === "conflict") return { finalAlias, stop: new ReleaseStop("conflict", EXIT.conflict, `not rolled back: ${e.message}`) };
    return { finalAlias, stop: new ReleaseStop("rollback-failed", EXIT.rollbackFailed, `rolling back failed (${describeError(e)}); alias ${alias} may still be split: run again with --abort.`) };
  }
}

/** A state the release could have left: its split or hold over the previous version, or the target wholly. */
function writtenByRelease(a: AliasState, scope: RollbackScope): boolean {
  const split = Object.entries(a.weights).filter(([, p]) => p > 0);
  if (a.functionVersion === scope.previous) return split.every(([v]) => v === scope.target);
  // The promotion, possibly with Lambda's provisioned-concurrency weight still on the previous version.
  return a.functionVersion === scope.target && split.every(([v]) => scope.provisioned === true && v === scope.previous);
}

export function describeError(e: unknown): string {
  if (e instanceof ReleaseStop) return e.message;
  const message = e instanceof Error ? e.message : String(e);
  return `${errorName(e)}: ${message}`;
}
