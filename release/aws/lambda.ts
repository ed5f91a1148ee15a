/**
 * The Lambda calls of the release step, each a small typed function over `callAws`.
 * Weights cross this boundary as whole percentages; AWS decimals are converted in schedule.ts.
 */
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from "@aws-sdk/client-lambda";
import { fromAwsWeight, toAwsWeight } from "../core/schedule";
import { conflict } from "../core/outcome";
import { callAws, errorName, type CallContext } from "./call";

export interface AliasState {
  readonly functionVersion: string;
  /** Additional versions and their share in whole percent, e.g. { "8": 10 }. */
  readonly weights: Readonly<Record<string, number>>;
  readonly revisionId: string;
  /** Weights read back that are not a whole percentage (e.g. 0.125): this CLI never writes those. */
  readonly nonWholeWeights?: Readonly<Record<string, number>>;
  /**
   * Versions listed in AdditionalVersionWeights at exactly 0.0. They carry no traffic, so they
   * are no split to resume, but the alias is not wholly on its version until they are cleared
   * (an UpdateAlias with an empty RoutingConfig), so they are kept apart from `weights`.
   */
  readonly zeroWeights?: readonly string[];
}

type AliasShape = Pick<AliasState, "functionVersion" | "weights" | "zeroWeights">;

/** Same primary version, same weights (whole percentages) and the same versions listed at 0. */
export function sameAlias(a: AliasShape, b: AliasShape): boolean {
  const aw = Object.entries(a.weights).filter(([, p]) => p > 0);
  const bw = Object.entries(b.weights).filter(([, p]) => p > 0);
  const az = [...(a.zeroWeights ?? [])].sort().join(",");
  const bz = [...(b.zeroWeights ?? [])].sort().join(",");
  return a.functionVersion === b.functionVersion && aw.length === bw.length && aw.every(([v, p]) => b.weights[v] === p) && az === bz;
}

/** e.g. "version 41 90%, version 42 10%", "wholly on version 42" or "version 41 100%, version 42 0%". */
export function describeAliasState(a: AliasShape): string {
  const split = Object.entries(a.weights).filter(([, p]) => p > 0);
  const zero = a.zeroWeights ?? [];
  if (split.length === 0 && zero.length === 0) return `wholly on version ${a.functionVersion}`;
  return [`version ${a.functionVersion} ${100 - split.reduce((n, [, p]) => n + p, 0)}%`, ...split.map(([v, p]) => `version ${v} ${p}%`), ...zero.map((v) => `version ${v} 0%`)].join(", ");
}

/** GetProvisionedConcurrencyConfig of one alias or version. */
export interface ProvisionedConcurrency {
  /** IN_PROGRESS while Lambda allocates environments, then READY, or FAILED with a reason. */
  readonly status: string;
  readonly statusReason?: string;
  readonly requested?: number;
  readonly allocated?: number;
  readonly available?: number;
}

export interface VersionInfo {
  readonly version: string;
  readonly state?: string;
  readonly stateReason?: string;
  readonly role?: string;
  readonly deadLetterTarget?: string;
  readonly codeSha256?: string;
  readonly revisionId?: string;
  readonly lastUpdateStatus?: string;
  readonly lastUpdateStatusReason?: string;
}

export interface InvokeResult {
  readonly functionError?: string;
  readonly executedVersion?: string;
  readonly payload: string;
}

/** How long and how often to poll for a code update. */
export interface CodeUpdateWait {
  readonly maxWaitSeconds: number;
  readonly minDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly abortSignal?: AbortSignal;
}

export type CodeUpdateResult =
  | { readonly status: "Successful"; readonly revisionId?: string }
  | { readonly status: "Failed"; readonly reason: string }
  | { readonly status: "TimedOut"; readonly lastStatus: string; readonly reason: string }
  | { readonly status: "Aborted" };

/**
 * Polls GetFunction until LastUpdateStatus leaves InProgress. Resolves with the final
 * configuration's RevisionId on Successful; otherwise throws like the SDK waiter does: an
 * error named AbortError (aborted), TimeoutError (maxWaitSeconds passed), or any other (Failed).
 */
export type CodeUpdateWaiter = (client: LambdaClient, functionName: string, wait: CodeUpdateWait) => Promise<{ revisionId?: string }>;

/** The SDK's waiter (https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-client-lambda/Function/waitUntilFunctionUpdatedV2/). */
export const sdkCodeUpdateWaiter: CodeUpdateWaiter = async (client, functionName, wait) => {
  // On abort the SDK waiter returns at once, but its poller may still wake once and send
  // GetFunction; this client refuses that last call so nothing is sent after an interrupt.
  const guarded = {
    config: client.config,
    send: (...args: Parameters<LambdaClient["send"]>) =>
      wait.abortSignal?.aborted === true ? Promise.reject(Object.assign(new Error("interrupted"), { name: "AbortError" })) : client.send(...args),
  } as unknown as LambdaClient;
  const result = await waitUntilFunctionUpdatedV2(
    { client: guarded, maxWaitTime: wait.maxWaitSeconds, minDelay: wait.minDelaySeconds, maxDelay: wait.maxDelaySeconds, abortSignal: wait.abortSignal },
    { FunctionName: functionName },
  );
  return { revisionId: result.reason?.Configuration?.RevisionId };
};

export class LambdaPort {
  constructor(
    private readonly client: LambdaClient,
    private readonly ctx: CallContext,
    /** Replaceable so tests can drive the polling with a fake clock. */
    private readonly codeUpdateWaiter: CodeUpdateWaiter = sdkCodeUpdateWaiter,
  ) {}

  async getAlias(functionName: string, alias: string): Promise<AliasState | undefined> {
    try {
      const out = await callAws(this.ctx, "GetAliasCommand", () => this.client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })));
      const weights: Record<string, number> = {};
      const nonWholeWeights: Record<string, number> = {};
      const zeroWeights: string[] = [];
      for (const [version, weight] of Object.entries(out.RoutingConfig?.AdditionalVersionWeights ?? {})) {
        // Exactly 0.0 routes nothing (AliasRoutingConfiguration allows 0.0-1.0); a weight that
        // merely rounds to 0% (0.004) does route traffic and stays a (non-whole) split.
        if (weight === 0) {
          zeroWeights.push(version);
          continue;
        }
        weights[version] = fromAwsWeight(weight);
        if (Math.abs(weight * 100 - weights[version]) > 1e-6 || (weight > 0 && weights[version] === 0)) nonWholeWeights[version] = weight;
      }
      return {
        functionVersion: out.FunctionVersion ?? "",
        weights,
        revisionId: out.RevisionId ?? "",
        ...(Object.keys(nonWholeWeights).length > 0 ? { nonWholeWeights } : {}),
        ...(zeroWeights.length > 0 ? { zeroWeights } : {}),
      };
    } catch (e) {
      if (errorName(e) === "ResourceNotFoundException") return undefined;
      throw e;
    }
  }

  /**
   * Points the alias at `functionVersion` plus at most one weighted version, only if nobody
   * changed it since `revisionId` was read. Returns the new RevisionId for the next call.
   * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html
   *
   * A weight of 100 is written as 1.0 (AliasRoutingConfiguration allows 0.0–1.0,
   * https://docs.aws.amazon.com/lambda/latest/dg/API_AliasRoutingConfiguration.html): the
   * final bake holds the alias as "primary = previous, target at 1.0", so the split stays
   * visible to --resume and --abort until the release is promoted.
   *
   * RoutingConfig is always sent: when it is omitted AWS keeps the current weights.
   *
   * A retried call (the SDK retries 5xx, timeouts and dropped connections) resends the same
   * RevisionId; if the first attempt was applied and only its response was lost, AWS answers
   * PreconditionFailedException. AWS's own advice is to read the alias again: if it is
   * already exactly what we asked for, that write was ours and its RevisionId is adopted.
   */
  async updateAlias(functionName: string, alias: string, to: { functionVersion: string; weights: Record<string, number>; revisionId: string }): Promise<string> {
    const AdditionalVersionWeights: Record<string, number> = {};
    for (const [version, percent] of Object.entries(to.weights)) AdditionalVersionWeights[version] = percent === 100 ? 1 : toAwsWeight(percent);
    try {
      const out = await callAws(this.ctx, "UpdateAliasCommand", () =>
        this.client.send(
          new UpdateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: to.functionVersion, RoutingConfig: { AdditionalVersionWeights }, RevisionId: to.revisionId }),
        ),
      );
      return out.RevisionId ?? "";
    } catch (e) {
      if (errorName(e) !== "PreconditionFailedException") throw e;
      const now = await this.getAlias(functionName, alias);
      if (now !== undefined && sameAlias(now, to)) return now.revisionId;
      throw conflict(
        `alias ${alias} was changed by someone else since revision ${to.revisionId} (another release or a manual update); it was left as they set it${now !== undefined ? ` (${describeAliasState(now)})` : ""}. Check it with 'aws lambda get-alias --function-name ${functionName} --name ${alias}', then rerun (or --abort if it is still split).`,
      );
    }
  }

  /**
   * The provisioned concurrency configured on an alias or a version (Qualifier), or undefined
   * when there is none (ProvisionedConcurrencyConfigNotFoundException).
   * https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html
   */
  async provisionedConcurrency(functionName: string, qualifier: string): Promise<ProvisionedConcurrency | undefined> {
    try {
      const out = await callAws(this.ctx, "GetProvisionedConcurrencyConfigCommand", () =>
        this.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier })),
      );
      return {
        status: out.Status ?? "unknown",
        statusReason: out.StatusReason,
        requested: out.RequestedProvisionedConcurrentExecutions,
        allocated: out.AllocatedProvisionedConcurrentExecutions,
        available: out.AvailableProvisionedConcurrentExecutions,
      };
    } catch (e) {
      if (errorName(e) === "ProvisionedConcurrencyConfigNotFoundException") return undefined;
      throw e;
    }
  }

  async getVersion(functionName: string, qualifier: string): Promise<VersionInfo | undefined> {
    try {
      const c = await callAws(this.ctx, "GetFunctionConfigurationCommand", () =>
        this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: qualifier })),
      );
      return {
        version: c.Version ?? qualifier,
        state: c.State,
        stateReason: c.StateReason,
        role: c.Role,
        deadLetterTarget: c.DeadLetterConfig?.TargetArn,
        codeSha256: c.CodeSha256,
        revisionId: c.RevisionId,
        lastUpdateStatus: c.LastUpdateStatus,
        lastUpdateStatusReason: c.LastUpdateStatusReason,
      };
    } catch (e) {
      if (errorName(e) === "ResourceNotFoundException") return undefined;
      throw e;
    }
  }

  /** Highest published version number, or 0 when only $LATEST exists. */
  async latestPublishedVersion(functionName: string): Promise<number> {
    let highest = 0;
    let marker: string | undefined;
    do {
      const page = await callAws(this.ctx, "ListVersionsByFunctionCommand", () =>
        this.client.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker, MaxItems: 50 })),
      );
      for (const v of page.Versions ?? []) if (v.Version !== undefined && /^\d+$/.test(v.Version)) highest = Math.max(highest, Number(v.Version));
      marker = page.NextMarker;
    } while (marker !== undefined);
    return highest;
  }

  /** The resource policy statements of a qualified function (alias); none when it has no policy. */
  async policyStatements(functionName: string, qualifier: string): Promise<PolicyStatement[]> {
    try {
      const out = await callAws(this.ctx, "GetPolicyCommand", () => this.client.send(new GetPolicyCommand({ FunctionName: functionName, Qualifier: qualifier })));
      const doc = JSON.parse(out.Policy ?? "{}") as { Statement?: PolicyStatement[] | PolicyStatement };
      return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement !== undefined ? [doc.Statement] : [];
    } catch (e) {
      if (errorName(e) === "ResourceNotFoundException") return [];
      throw e;
    }
  }

  async invoke(functionName: string, qualifier: string, event: unknown): Promise<InvokeResult> {
    const out = await callAws(this.ctx, "InvokeCommand", () =>
      this.client.send(new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify(event)) })),
    );
    return { functionError: out.FunctionError, executedVersion: out.ExecutedVersion, payload: out.Payload === undefined ? "" : Buffer.from(out.Payload).toString("utf8") };
  }

  /** Starts a code update from S3; only if $LATEST is still at `revisionId`. Returns the new RevisionId. */
  async updateCode(functionName: string, code: { bucket: string; key: string; objectVersion?: string; revisionId?: string }): Promise<string | undefined> {
    try {
      const out = await callAws(this.ctx, "UpdateFunctionCodeCommand", () =>
        this.client.send(
          new UpdateFunctionCodeCommand({ FunctionName: functionName, S3Bucket: code.bucket, S3Key: code.key, S3ObjectVersion: code.objectVersion, RevisionId: code.revisionId }),
        ),
      );
      return out.RevisionId;
    } catch (e) {
      if (errorName(e) === "PreconditionFailedException") throw conflict(`function ${functionName} was changed by someone else while its code was being updated; rerun when they are done.`);
      throw e;
    }
  }

  /**
   * UpdateFunctionCode returns before the update is applied; LastUpdateStatus moves from
   * InProgress to Successful or Failed (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html).
   * The SDK waiter polls GetFunction; on failure or timeout we read the status once more
   * ourselves, so the reason AWS gives (and any AccessDenied) is reported, not a waiter dump.
   */
  async waitForCodeUpdate(functionName: string, wait: CodeUpdateWait): Promise<CodeUpdateResult> {
    try {
      const result = await this.codeUpdateWaiter(this.client, functionName, wait);
      return { status: "Successful", revisionId: result.revisionId };
    } catch (e) {
      if (errorName(e) === "AbortError") return { status: "Aborted" };
      const now = await callAws(this.ctx, "GetFunctionCommand", () => this.client.send(new GetFunctionCommand({ FunctionName: functionName })));
      const status = now.Configuration?.LastUpdateStatus ?? "unknown";
      const reason = [now.Configuration?.LastUpdateStatusReasonCode, now.Configuration?.LastUpdateStatusReason].filter((s) => s !== undefined).join(": ") || "no reason given";
      if (errorName(e) === "TimeoutError") return { status: "TimedOut", lastStatus: status, reason };
      if (status === "Successful") return { status: "Successful", revisionId: now.Configuration?.RevisionId };
      return { status: "Failed", reason };
    }
  }

  /**
   * Publishes $LATEST. With an unchanged function AWS returns the existing latest version
   * instead of a new one (https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html);
   * callers compare with the highest version seen before to notice.
   */
  async publishVersion(functionName: string, codeSha256: string, revisionId: string | undefined, description: string): Promise<VersionInfo> {
    try {
      const c = await callAws(this.ctx, "PublishVersionCommand", () =>
        this.client.send(new PublishVersionCommand({ FunctionName: functionName, CodeSha256: codeSha256, RevisionId: revisionId, Description: description })),
      );
      return { version: c.Version ?? "", state: c.State, codeSha256: c.CodeSha256, role: c.Role };
    } catch (e) {
      if (errorName(e) === "PreconditionFailedException") {
        throw conflict(`function ${functionName} changed between the code update and publishing (CodeSha256 or RevisionId no longer match); someone else deployed meanwhile. Rerun.`);
      }
      throw e;
    }
  }
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: { Service?: string | string[] } | string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}
