// Wing aws/: the AWS SDK ports and the IAM action table the deployer role grants. May import: core.
/**
 * Every AWS call of the release step goes through `callAws`: it names the command (which must
 * be in the IAM table, so the deployer role and the CLI cannot drift), retries throttling with
 * backoff on the injected clock, and turns AccessDenied into a message naming the IAM action.
 *
 * The clients are also built with the SDK's adaptive retry (see clients.ts). The wrapper is
 * still needed: a release runs for many minutes, and a throttle burst that outlasts the SDK's
 * own attempts must not abandon an alias half-shifted.
 */
import { actionsFor, isPruneOnlyCommand, type AwsCommandName } from "./actions";
import type { Clock } from "../core/clock";
import { EXIT, ReleaseStop } from "../core/outcome";

export interface RetryPolicy {
  /** Total attempts per call, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 20_000 };

export interface CallContext {
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  /** Told about each throttled attempt before the wait, for progress output. */
  readonly onRetry?: (command: AwsCommandName, attempt: number, delayMs: number, error: unknown) => void;
}

const THROTTLING_CODES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const shape = (e: unknown): AwsErrorShape => (typeof e === "object" && e !== null ? (e as AwsErrorShape) : {});

export function errorName(e: unknown): string {
  const s = shape(e);
  return s.name ?? s.Code ?? "Error";
}

export function isThrottling(e: unknown): boolean {
  const s = shape(e);
  return THROTTLING_CODES.has(errorName(e)) || s.$retryable?.throttling === true || s.$metadata?.httpStatusCode === 429;
}

export function isAccessDenied(e: unknown): boolean {
  const name = errorName(e);
  return name === "AccessDeniedException" || name === "AccessDenied" || /is not authorized to perform/.test(shape(e).message ?? "");
}

/** Raised for AccessDenied; names the IAM action (and resource when AWS says which). */
export class AccessDeniedStop extends ReleaseStop {
  constructor(
    readonly command: AwsCommandName,
    readonly action: string,
    readonly resource: string | undefined,
    detail: string,
  ) {
    super(
      "aws-error",
      EXIT.awsError,
      `access denied: ${command} needs the IAM action ${action}${resource !== undefined ? ` on ${resource}` : ""}; grant it to ${isPruneOnlyCommand(command) ? "the role that runs prune (README: Pruning; never the deployer role)" : "the deployer role"}. (${detail})`,
    );
  }
}

/** Pulls `<action>` and `<arn>` out of "… is not authorized to perform: <action> on resource: <arn> …". */
export function parseAccessDenied(message: string): { action?: string; resource?: string } {
  const action = /is not authorized to perform: ([\w-]+:[\w*-]+)/.exec(message)?.[1];
  const resource = /on resource: "?([^\s",]+)/.exec(message)?.[1];
  return { action, resource };
}

/** Full-jitter exponential backoff, capped (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Sends one AWS command by name, retrying throttling and naming the IAM action on AccessDenied. */
export async function callAws<T>(ctx: CallContext, command: AwsCommandName, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (isAccessDenied(e)) {
        const parsed = parseAccessDenied(shape(e).message ?? "");
        throw new AccessDeniedStop(command, parsed.action ?? actionsFor(command).join(" + "), parsed.resource, shape(e).message ?? errorName(e));
      }
      if (!isThrottling(e) || attempt >= ctx.retry.attempts) throw e;
      const delay = backoffMs(ctx.retry, attempt);
      ctx.onRetry?.(command, attempt, delay, e);
      await ctx.clock.sleep(delay);
    }
  }
}
