// Wing core/: what every wing shares: exit codes and stops, the clock, schedules and weights. May import: nothing.
/**
 * How a release ends, as an exit code a CI job can branch on. The same table is printed by
 * `--help` and in the README, so the three cannot disagree.
 */

export const EXIT = {
  /** Promoted, nothing to release, nothing to abort, or a dry run. */
  ok: 0,
  /** Rolled back: health or the stage check failed while shifting (or `--abort` was asked); the alias is wholly on the previous version. */
  rolledBack: 1,
  /** Bad input: flags, outputs file or stack outputs failed validation. */
  badInput: 2,
  /** Preflight, smoke gate or code update failed before any traffic moved; the alias is untouched. */
  gateFailed: 3,
  /** Conflict: someone else changed the alias (RevisionId), or an unfinished release needs --resume or --abort. */
  conflict: 4,
  /** AWS error or access denied (the missing IAM action is named). */
  awsError: 5,
  /** Rolling back failed: the alias may still be split; rerun with --abort. */
  rollbackFailed: 6,
  /** Interrupted by SIGINT/SIGTERM and rolled back (or nothing had moved yet). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.ok, "promoted (the report says if the read-back failed), nothing to release, or dry run"],
  [EXIT.rolledBack, "rolled back (health or stage check failed, or --abort); alias wholly on the previous version"],
  [EXIT.badInput, "bad input (flags, outputs file, stack outputs)"],
  [EXIT.gateFailed, "preflight, smoke gate or code update failed; no traffic moved"],
  [EXIT.conflict, "concurrent change to the alias, or an unfinished release needs --resume/--abort"],
  [EXIT.awsError, "AWS error or access denied (names the missing IAM action)"],
  [EXIT.rollbackFailed, "rollback failed; alias may be split: rerun with --abort"],
  [EXIT.interrupted, "interrupted (SIGINT/SIGTERM) and rolled back"],
];

export type OutcomeKind =
  | "promoted"
  | "nothing-to-release"
  | "dry-run"
  | "rolled-back"
  | "aborted"
  | "bad-input"
  | "gate-failed"
  | "conflict"
  | "aws-error"
  | "rollback-failed"
  | "interrupted";

/** A release that cannot go on; `exitCode` says how it ended and `message` why. */
export class ReleaseStop extends Error {
  constructor(
    readonly kind: OutcomeKind,
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "ReleaseStop";
  }
}

/** A stop of any kind: the one helper the controller and bake.ts share. */
export const stop = (kind: OutcomeKind, exitCode: ExitCode, message: string) => new ReleaseStop(kind, exitCode, message);
export const gateFailed = (message: string) => new ReleaseStop("gate-failed", EXIT.gateFailed, message);
export const conflict = (message: string) => new ReleaseStop("conflict", EXIT.conflict, message);
export const badInput = (message: string) => new ReleaseStop("bad-input", EXIT.badInput, message);
