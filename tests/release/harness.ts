/**
 * Test doubles for the release CLI: a fake clock that advances instantly, and a small
 * stateful AWS (one function, its versions, one alias, alarms and per-version metrics)
 * behind aws-sdk-client-mock, so tests assert on the alias state AWS would end up in.
 */
import { EventEmitter } from "node:events";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  ProvisionedConcurrencyConfigNotFoundException,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchPort } from "../../release/aws/cloudwatch";
import type { AwsPorts } from "../../release/aws/clients";
import type { CallContext } from "../../release/aws/call";
import { LambdaPort, type CodeUpdateWaiter } from "../../release/aws/lambda";
import { S3Port } from "../../release/aws/s3";
import type { CliIo } from "../../release/cli/release";
import type { Clock } from "../../release/core/clock";
import type { SmokeEvent } from "../../release/inputs/smoke-source";
import type { StageHttpPort } from "../../release/stage-check/http";

export const T0 = Date.parse("2026-03-01T12:00:00Z");

/** A clock whose sleeps return at once after moving time on; hooks fire as time passes them. */
export class FakeClock implements Clock {
  private t = T0;
  private hooks: Array<{ at: number; run: () => void }> = [];
  slept = 0;

  now(): number {
    return this.t;
  }

  /** Runs `run` once the clock reaches `secondsAfterStart`. */
  at(secondsAfterStart: number, run: () => void): void {
    this.hooks.push({ at: T0 + secondsAfterStart * 1000, run });
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const until = this.t + Math.max(0, ms);
    // Move through each hook in order so a signal raised by a hook cuts the sleep short.
    for (const hook of [...this.hooks].sort((a, b) => a.at - b.at)) {
      if (hook.at > until) break;
      this.t = Math.max(this.t, hook.at);
      this.hooks.splice(this.hooks.indexOf(hook), 1);
      hook.run();
      if (signal?.aborted) return;
    }
    this.slept += until - this.t;
    this.t = until;
    await Promise.resolve();
  }
}

/**
 * The code-update waiter on the fake clock: GetFunction at once, then again after minDelay,
 * doubling up to maxDelay, until Successful, Failed, the timeout or an abort. It throws the
 * error names the SDK's waitUntilFunctionUpdatedV2 throws, so LambdaPort treats both alike.
 */
export const fakeClockWaiter =
  (clock: Clock): CodeUpdateWaiter =>
  async (client, functionName, wait) => {
    const named = (name: string, message: string) => Object.assign(new Error(message), { name });
    const until = clock.now() + wait.maxWaitSeconds * 1000;
    let delay = wait.minDelaySeconds * 1000;
    for (;;) {
      if (wait.abortSignal?.aborted === true) throw named("AbortError", "Request was aborted");
      const out = await client.send(new GetFunctionCommand({ FunctionName: functionName }));
      const status = out.Configuration?.LastUpdateStatus;
      if (status === "Successful") return { revisionId: out.Configuration?.RevisionId };
      if (status === "Failed") throw named("Error", "waiter reached a failure state");
      if (clock.now() + delay > until) throw named("TimeoutError", "Waiter has timed out");
      await clock.sleep(delay, wait.abortSignal);
      delay = Math.min(delay * 2, wait.maxDelaySeconds * 1000);
    }
  };

export interface VersionSpec {
  state?: string;
  role?: string;
  deadLetterTarget?: string;
  codeSha256?: string;
}

export interface Figures {
  invocations: number;
  errors: number;
}

export const awsError = (name: string, message: string, httpStatusCode = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });

/** Provisioned concurrency configured on one alias or version, as GetProvisionedConcurrencyConfig reports it. */
export interface ProvisionedSpec {
  status: "IN_PROGRESS" | "READY" | "FAILED";
  statusReason?: string;
  requested: number;
}

export const FN = "shiftline-prod-api";
export const ROLE = "arn:aws:iam::123456789012:role/shiftline-prod-api";

/** The AWS account as the release sees it. */
export class World {
  readonly versions = new Map<string, VersionSpec>();
  alias = { functionVersion: "41", weights: {} as Record<string, number>, revision: 1 };
  /** Every alias write that AWS accepted, in order. */
  readonly aliasWrites: Array<{ functionVersion: string; weights: Record<string, number>; revisionId: string; at: number }> = [];
  alarms: Record<string, string> = {};
  restApiId = "a1b2c3d4e5";
  /** The stage segment of the SourceArn in the alias's invoke permission. */
  permittedStage = "prod";
  policyMissing = false;
  /** The function and alias whose metrics exist; GetMetricData answers other dimensions with no data. */
  functionName = FN;
  aliasName = "live";
  /**
   * Per-version figures GetMetricData returns for the window [start, end), as seen at the
   * fake time `now` (a datapoint CloudWatch has not published yet is not in it).
   */
  metrics: (version: string, now: number, start: number, end: number) => Figures = () => ({ invocations: 100, errors: 0 });
  /** Every GetMetricData window asked for, in fake milliseconds. */
  readonly metricWindows: Array<{ start: number; end: number; at: number }> = [];
  throttles = 0;
  /** Throttles on the alias in [start, end); by default `throttles` in every window. */
  throttlesIn: (start: number, end: number) => number = () => this.throttles;
  /** StatusCode of every GetMetricData result (InternalError / Forbidden: CloudWatch could not compute it). */
  metricStatus: "Complete" | "InternalError" | "Forbidden" = "Complete";
  /** Smoke result per version: an API Gateway proxy result or a function error. */
  invoke: (version: string, event: unknown) => { statusCode?: number; functionError?: string } = () => ({ statusCode: 200 });
  /** Code update: LastUpdateStatus answered by GetFunction after UpdateFunctionCode. */
  codeUpdate: { status: "Successful" | "InProgress" | "Failed"; reason?: string } = { status: "Successful" };
  codeRevision = "code-rev-1";
  publishReturnsExisting = false;
  /** Errors thrown by the next calls of a command, one per call, before it behaves. */
  readonly failNext = new Map<string, Error[]>();
  /** Errors thrown by the next calls of a command after AWS applied them: the answer was lost. */
  readonly loseNext = new Map<string, Error[]>();
  /** The process is gone: every call from now on fails (set by crashAfter). */
  down = false;
  /** Command after whose next successful call the process "crashes". */
  crashAfter?: string;
  /** Provisioned concurrency per qualifier (alias name or version); absent: none configured. */
  readonly provisioned = new Map<string, ProvisionedSpec>();
  /**
   * How Lambda allocates provisioned concurrency on the alias, in fake seconds: after a write
   * that moves the primary version it keeps `{old: 1.0}` on the alias for `transitionSeconds`
   * (then clears it, with a new RevisionId when `transitionBumpsRevision`); after any write the
   * alias's config is IN_PROGRESS for `allocationSeconds`. A `failingVersion` that carries
   * traffic leaves it FAILED with `failReason`, and a transition to it never clears, as with a
   * version that cannot initialise.
   */
  pc = { transitionSeconds: 45, allocationSeconds: 40, transitionBumpsRevision: true, failingVersion: undefined as string | undefined, failReason: "FUNCTION_ERROR_INIT_FAILURE" };
  /** Called after every alias write AWS accepted (tests use it to act right after one). */
  onAliasWrite?: (write: { functionVersion: string; weights: Record<string, number> }) => void;
  /**
   * How the stage answers a GET that the alias routed to `version` (the stage check's requests):
   * by default the function's documented answers, stamped with x-function-version.
   */
  stage: (url: string, version: string) => Awaited<ReturnType<StageHttpPort>> = (url, version) => {
    const path = new URL(url).pathname;
    const body = path.endsWith("/health") ? { status: "ok", functionVersion: version } : { todoId: decodeURIComponent(path.split("/").at(-1) ?? ""), title: "release smoke check" };
    return { status: 200, version, body: JSON.stringify(body) };
  };
  /** Every URL the stage check sent a GET to, with the version the alias routed it to. */
  readonly stageRequests: Array<{ url: string; version: string; at: number }> = [];
  /** Spreads requests by the alias's weights without randomness: each weighted version gets exactly its share, in turn. */
  private routeCredit: Record<string, number> = {};

  /** The version the alias routes the next request to (AdditionalVersionWeights, then the primary). */
  routeRequest(): string {
    for (const [version, percent] of Object.entries(this.alias.weights)) {
      this.routeCredit[version] = (this.routeCredit[version] ?? 0.5) + percent / 100;
      if (this.routeCredit[version] >= 1 - 1e-9) {
        this.routeCredit[version] -= 1;
        return version;
      }
    }
    return this.alias.functionVersion;
  }

  constructor() {
    for (const name of ["shiftline-prod-api-live-errors", "shiftline-prod-api-live-throttles", "shiftline-prod-api-live-p99-duration"]) this.alarms[name] = "OK";
    this.versions.set("41", { state: "Active", role: ROLE });
    this.versions.set("42", { state: "Active", role: ROLE });
  }

  get revisionId(): string {
    return `alias-rev-${this.alias.revision}`;
  }

  /** A concurrent writer (another release, a person in the console) moves the alias. */
  externalAliasChange(functionVersion: string, weights: Record<string, number> = {}): void {
    this.alias = { functionVersion, weights, revision: this.alias.revision + 1 };
  }

  fail(command: string, ...errors: Error[]): void {
    this.failNext.set(command, [...(this.failNext.get(command) ?? []), ...errors]);
  }

  /** The next call of `command` is applied, but the caller sees `error` instead of the answer. */
  loseResponse(command: string, error: Error): void {
    this.loseNext.set(command, [...(this.loseNext.get(command) ?? []), error]);
  }

  takeFailure(command: string): void {
    const queue = this.failNext.get(command);
    const next = queue?.shift();
    if (next !== undefined) throw next;
  }
}

const makeMocks = () => ({ lambda: mockClient(LambdaClient), cloudwatch: mockClient(CloudWatchClient), s3: mockClient(S3Client) });
type Mocks = ReturnType<typeof makeMocks>;

export interface Harness {
  world: World;
  clock: FakeClock;
  io: CliIo;
  signals: EventEmitter;
  out: () => string;
  err: () => string;
  lambda: Mocks["lambda"];
  cloudwatch: Mocks["cloudwatch"];
  s3: Mocks["s3"];
  /** Names of the commands sent, in order. */
  sent: () => string[];
  restore: () => void;
}

export const SMOKE: SmokeEvent[] = [
  { name: "GET /health", event: { httpMethod: "GET", path: "/health" } },
  { name: "POST /todo", event: { httpMethod: "POST", path: "/todo", body: "{}" } },
];

const weightsToAws = (w: Record<string, number>) => Object.fromEntries(Object.entries(w).map(([v, p]) => [v, p / 100]));

export function harness(options: { smoke?: SmokeEvent[]; tty?: boolean } = {}): Harness {
  const world = new World();
  const clock = new FakeClock();
  const { lambda, cloudwatch, s3 } = makeMocks();
  const sent: string[] = [];
  const guard = <T>(name: string, body: () => T) => {
    if (world.down) throw Object.assign(new Error("the process crashed before sending this"), { name: "SimulatedCrash" });
    sent.push(name);
    world.takeFailure(name);
    const result = body();
    if (world.crashAfter === name) {
      world.crashAfter = undefined;
      world.down = true;
    }
    const lost = world.loseNext.get(name)?.shift();
    if (lost !== undefined) throw lost;
    return result;
  };

  lambda.on(GetAliasCommand).callsFake(() =>
    guard("GetAlias", () => ({ FunctionVersion: world.alias.functionVersion, RoutingConfig: { AdditionalVersionWeights: weightsToAws(world.alias.weights) }, RevisionId: world.revisionId })),
  );
  lambda.on(UpdateAliasCommand).callsFake((input) =>
    guard("UpdateAlias", () => {
      if (input.RevisionId !== world.revisionId) throw new PreconditionFailedException({ message: "The RevisionId provided does not match the latest RevisionId for the Lambda function or alias.", $metadata: {} });
      // Like AWS, an omitted RoutingConfig leaves the weights as they are.
      const given = input.RoutingConfig?.AdditionalVersionWeights;
      for (const w of Object.values(given ?? {})) if (!(Number(w) >= 0 && Number(w) <= 1)) throw awsError("ValidationException", `weight ${w} is outside 0.0-1.0`);
      const weights = given === undefined ? { ...world.alias.weights } : Object.fromEntries(Object.entries(given).map(([v, w]) => [v, Math.round(Number(w) * 100)]));
      // Like AWS, a weighted alias needs two published versions with the same execution role and
      // dead-letter queue (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
      for (const other of Object.keys(weights)) {
        const [a, b] = [world.versions.get(input.FunctionVersion), world.versions.get(other)];
        if (input.FunctionVersion === "$LATEST" || a === undefined || b === undefined || a.role !== b.role || a.deadLetterTarget !== b.deadLetterTarget) {
          throw awsError("InvalidParameterValueException", `Alias routing between versions ${input.FunctionVersion} and ${other} requires two published versions with the same execution role and dead-letter queue configuration.`);
        }
      }
      const from = world.alias.functionVersion;
      world.alias = { functionVersion: input.FunctionVersion, weights, revision: world.alias.revision + 1 };
      world.aliasWrites.push({ functionVersion: input.FunctionVersion, weights, revisionId: input.RevisionId, at: clock.now() });
      const answer = { FunctionVersion: input.FunctionVersion, RevisionId: world.revisionId };
      const onAlias = world.provisioned.get(world.aliasName);
      if (onAlias !== undefined) {
        // Lambda re-divides the alias's provisioned concurrency after every write; a new primary
        // version first gets Lambda's own weight keeping traffic on the old one.
        const after = (clock.now() - T0) / 1000;
        onAlias.status = "IN_PROGRESS";
        const primaryShare = 100 - Object.values(weights).reduce((n, p) => n + p, 0);
        const serving = [...(primaryShare > 0 ? [input.FunctionVersion] : []), ...Object.entries(weights).filter(([, p]) => p > 0).map(([v]) => v)];
        const fails = world.pc.failingVersion !== undefined && serving.includes(world.pc.failingVersion);
        if (from !== input.FunctionVersion && Object.keys(weights).length === 0) {
          world.alias.weights = { [from]: 100 };
          if (!fails) {
            clock.at(after + world.pc.transitionSeconds, () => {
              if (world.alias.functionVersion !== input.FunctionVersion || world.alias.weights[from] !== 100) return;
              world.alias.weights = {};
              if (world.pc.transitionBumpsRevision) world.alias.revision += 1;
            });
          }
        }
        if (fails) {
          onAlias.status = "FAILED";
          onAlias.statusReason = world.pc.failReason;
        } else {
          onAlias.statusReason = undefined;
          clock.at(after + world.pc.allocationSeconds, () => (onAlias.status = "READY"));
        }
      }
      world.onAliasWrite?.({ functionVersion: input.FunctionVersion, weights });
      return answer;
    }),
  );
  lambda.on(GetProvisionedConcurrencyConfigCommand).callsFake((input) =>
    guard("GetProvisionedConcurrencyConfig", () => {
      const pc = world.provisioned.get(input.Qualifier);
      if (pc === undefined) throw new ProvisionedConcurrencyConfigNotFoundException({ message: "No Provisioned Concurrency Config found for this function", $metadata: { httpStatusCode: 404 } });
      const allocated = pc.status === "READY" ? pc.requested : 0;
      return { RequestedProvisionedConcurrentExecutions: pc.requested, AllocatedProvisionedConcurrentExecutions: allocated, AvailableProvisionedConcurrentExecutions: allocated, Status: pc.status, StatusReason: pc.statusReason };
    }),
  );
  lambda.on(GetFunctionConfigurationCommand).callsFake((input) =>
    guard("GetFunctionConfiguration", () => {
      if (input.Qualifier === "$LATEST") return { Version: "$LATEST", RevisionId: world.codeRevision, State: "Active", LastUpdateStatus: "Successful" };
      const v = world.versions.get(input.Qualifier);
      if (v === undefined) throw awsError("ResourceNotFoundException", `Function not found: ${FN}:${input.Qualifier}`, 404);
      return { Version: input.Qualifier, State: v.state, Role: v.role, CodeSha256: v.codeSha256, DeadLetterConfig: v.deadLetterTarget !== undefined ? { TargetArn: v.deadLetterTarget } : undefined };
    }),
  );
  lambda.on(GetPolicyCommand).callsFake((input) =>
    guard("GetPolicy", () => {
      if (world.policyMissing) throw awsError("ResourceNotFoundException", "The resource you requested does not exist.", 404);
      const statement = {
        Sid: "prod-invoke",
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "lambda:InvokeFunction",
        Resource: `arn:aws:lambda:eu-west-1:123456789012:function:${FN}:${input.Qualifier}`,
        Condition: { ArnLike: { "AWS:SourceArn": `arn:aws:execute-api:eu-west-1:123456789012:${world.restApiId}/${world.permittedStage}/*/*` } },
      };
      return { Policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) };
    }),
  );
  lambda.on(InvokeCommand).callsFake((input) =>
    guard("Invoke", () => {
      const result = world.invoke(input.Qualifier, JSON.parse(Buffer.from(input.Payload).toString("utf8")));
      const payload = result.functionError !== undefined ? { errorType: "Error", errorMessage: "boom" } : { statusCode: result.statusCode, body: "{}" };
      return { StatusCode: 200, FunctionError: result.functionError, ExecutedVersion: input.Qualifier, Payload: Buffer.from(JSON.stringify(payload)) };
    }),
  );
  lambda.on(ListVersionsByFunctionCommand).callsFake(() =>
    guard("ListVersionsByFunction", () => ({ Versions: [{ Version: "$LATEST" }, ...[...world.versions.keys()].map((Version) => ({ Version }))] })),
  );
  lambda.on(UpdateFunctionCodeCommand).callsFake((input) =>
    guard("UpdateFunctionCode", () => {
      if (input.RevisionId !== world.codeRevision) throw new PreconditionFailedException({ message: "RevisionId mismatch", $metadata: {} });
      world.codeRevision = "code-rev-2";
      return { RevisionId: world.codeRevision, LastUpdateStatus: "InProgress" };
    }),
  );
  lambda.on(GetFunctionCommand).callsFake(() =>
    guard("GetFunction", () => ({
      Configuration: { LastUpdateStatus: world.codeUpdate.status, LastUpdateStatusReason: world.codeUpdate.reason, RevisionId: world.codeRevision },
    })),
  );
  lambda.on(PublishVersionCommand).callsFake((input) =>
    guard("PublishVersion", () => {
      const highest = Math.max(...[...world.versions.keys()].map(Number));
      if (world.publishReturnsExisting) return { Version: String(highest), State: "Active", CodeSha256: input.CodeSha256, Role: ROLE };
      const version = String(highest + 1);
      world.versions.set(version, { state: "Active", role: ROLE, codeSha256: input.CodeSha256 });
      return { Version: version, State: "Active", CodeSha256: input.CodeSha256, Role: ROLE };
    }),
  );

  cloudwatch.on(DescribeAlarmsCommand).callsFake((input) =>
    guard("DescribeAlarms", () => ({
      MetricAlarms: (input.AlarmNames ?? []).filter((n: string) => n in world.alarms).map((n: string) => ({ AlarmName: n, StateValue: world.alarms[n], StateReason: "test" })),
    })),
  );
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) =>
    guard("GetMetricData", () => {
      const start = input.StartTime instanceof Date ? input.StartTime.getTime() : NaN;
      const end = input.EndTime instanceof Date ? input.EndTime.getTime() : NaN;
      if (!(start < end)) throw awsError("ValidationError", "The parameter StartTime must be less than the parameter EndTime.");
      if (end > clock.now()) throw new Error(`test harness: EndTime ${new Date(end).toISOString()} lies in the future (now ${new Date(clock.now()).toISOString()})`);
      world.metricWindows.push({ start, end, at: clock.now() });
      return {
        MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
          const metric = q.MetricStat?.Metric;
          const dims = Object.fromEntries((metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
          const name = metric?.MetricName;
          const { ExecutedVersion: version, ...rest } = dims;
          // Only metrics that Lambda publishes exist; anything else comes back with no datapoints.
          const aliasDims = metric?.Namespace === "AWS/Lambda" && q.MetricStat?.Stat === "Sum" && Object.keys(rest).length === 2 && rest.FunctionName === world.functionName && rest.Resource === `${world.functionName}:${world.aliasName}`;
          let values: number[] = [];
          if (aliasDims && name === "Throttles" && version === undefined) values = [world.throttlesIn(start, end)];
          else if (aliasDims && version !== undefined && (name === "Errors" || name === "Invocations")) {
            const f = world.metrics(version, clock.now(), start, end);
            // The stage check's requests are invocations too, published a minute after they ran.
            const checks = world.stageRequests.filter((r) => r.version === version && r.at >= start && r.at < end && r.at <= clock.now() - 60_000).length;
            values = [name === "Errors" ? f.errors : f.invocations + checks];
          }
          if (world.metricStatus !== "Complete") return { Id: q.Id, Values: [], Timestamps: [], StatusCode: world.metricStatus, Messages: [{ Code: world.metricStatus, Value: "test" }] };
          return { Id: q.Id, Values: values, Timestamps: values.map(() => new Date(start)), StatusCode: "Complete" };
        }),
      };
    }),
  );

  s3.on(HeadObjectCommand).callsFake(() => guard("HeadObject", () => { throw awsError("NotFound", "Not Found", 404); }));
  s3.on(PutObjectCommand).callsFake(() => guard("PutObject", () => ({ VersionId: "s3-version-1" })));

  const stdout: string[] = [];
  const stderr: string[] = [];
  const signals = new EventEmitter();
  const ctx: CallContext = { clock, retry: { attempts: 4, baseDelayMs: 200, maxDelayMs: 2000 } };
  const createPorts = (_region: string, c: Clock, onRetry: CallContext["onRetry"]): AwsPorts => {
    const context = { ...ctx, clock: c, onRetry };
    return { lambda: new LambdaPort(new LambdaClient({ region: "eu-west-1" }), context, fakeClockWaiter(c)), cloudwatch: new CloudWatchPort(new CloudWatchClient({ region: "eu-west-1" }), context), s3: new S3Port(new S3Client({ region: "eu-west-1" }), context) };
  };
  const io: CliIo = {
    stdout: { write: (s: string) => stdout.push(s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => stderr.push(s) },
    env: {},
    clock,
    signals,
    createPorts,
    runPulumi: () => undefined,
    smokeEvents: () => options.smoke ?? SMOKE,
    // The stage double: the alias's routing decides the version, world.stage the answer.
    stageHttp: async ({ url }) => {
      if (world.down) throw Object.assign(new Error("the process crashed before sending this"), { name: "SimulatedCrash" });
      const version = world.routeRequest();
      world.stageRequests.push({ url, version, at: clock.now() });
      return world.stage(url, version);
    },
  };
  return {
    world,
    clock,
    io,
    signals,
    out: () => stdout.join(""),
    err: () => stderr.join(""),
    lambda,
    cloudwatch,
    s3,
    sent: () => [...sent],
    restore: () => {
      lambda.restore();
      cloudwatch.restore();
      s3.restore();
    },
  };
}

/**
 * Outputs of a prod stack deployed before the function published request metrics (no
 * `requestMetrics`), with the canary it had then: these tests drive the fixed-count rule on
 * Lambda's own metrics, the release step's fallback. Evidence-based releases are tested against
 * the release simulator's CloudWatch in evidence-release.test.ts.
 */
export const PROD = "tests/release/fixtures/prod-outputs-lambda-metrics.json";
/** The outputs the current prod stack exports (tests/infra/program.test.ts keeps them in step). */
export const PROD_NOW = "tests/release/fixtures/prod-outputs.json";
export const STAGING = "tests/release/fixtures/staging-outputs.json";
