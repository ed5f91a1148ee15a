/**
 * What the release, status, prune and probe commands say alike: a throttled AWS call's retry
 * line, an AWS error's one-line message, and how a command's promise becomes the process's exit
 * code (an unexpected error prints its stack and exits with the command's AWS-error code).
 */
import { AccessDeniedStop } from "../aws/call";

/** The line printed when the SDK retries a throttled call (release/aws/call.ts's onRetry). */
export function throttledLine(command: string, attempt: number, delayMs: number): string {
  return `throttled: ${command} attempt ${attempt}, retrying in ${Math.round(delayMs / 100) / 10}s`;
}

/** An AWS call's failure in one line; AccessDeniedStop already names the missing permission. */
export function awsErrorMessage(e: unknown): string {
  return e instanceof AccessDeniedStop ? e.message : `AWS error: ${(e as Error).name}: ${(e as Error).message}`;
}

/** Runs a command as the process: its result is the exit code; `then` may act on it (e.g. exit at once). */
export function runAsProcess(run: Promise<number>, unexpectedExit: number, then?: (code: number) => void): void {
  run.then(
    (code) => {
      process.exitCode = code;
      then?.(code);
    },
    (e: unknown) => {
      process.stderr.write(`unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = unexpectedExit;
    },
  );
}
