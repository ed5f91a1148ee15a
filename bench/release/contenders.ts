/**
 * The two ways of releasing compared in one simulated world:
 * - `shiftline`: the real release step (release/engine/controller.ts and everything it calls) on the
 *   World's clock, against the simulated Lambda and CloudWatch through the real AWS ports, with
 *   prod's settings and alarms from Pulumi.prod.yaml.
 * - `codedeploy`: a model of AWS CodeDeploy's `LambdaCanary10Percent5Minutes` with the usual
 *   SAM alias alarm, described beside it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { DEFAULT_RETRY, type CallContext } from "../../release/aws/call";
import { CloudWatchPort } from "../../release/aws/cloudwatch";
import { LambdaPort } from "../../release/aws/lambda";
import { LogsPort } from "../../release/aws/logs";
import { S3Port } from "../../release/aws/s3";
import type { Clock } from "../../release/core/clock";
import { runRelease, type ReleaseRequest } from "../../release/engine/controller";
import { silentProgress, type ReleaseReport } from "../../release/engine/report";
import { releaseSettingsSchema, type ReleaseSettings } from "../../release/inputs/settings";
import { loadSmokeEvents } from "../../release/inputs/smoke-source";
import { parseOrThrow } from "../../lib/validation";
import type { S3Client } from "@aws-sdk/client-s3";
import { SimAlarms, type AlarmDefinition } from "./alarms";
import { simCloudWatchClient, simLambdaClient, type SimFunction } from "./sim-aws";
import { DEFAULT_LIVE_TAIL, SimLiveTail, type LiveTailAssumptions } from "./live-tail";
import { simStagePort } from "./stage";
import type { World } from "./world";

export const SIM_FUNCTION: SimFunction = {
  functionName: "shiftline-prod-api",
  aliasName: "live",
  serviceName: "shiftline",
  metricsNamespace: "Shiftline",
  apiName: "shiftline-prod-http-api",
  stageName: "prod",
  restApiId: "s1m2l3t4n5",
};

/**
 * The World's time as the release step's clock: sleeping advances the world. With a Live Tail
 * channel it advances a second at a time and lets the stream deliver each second's update
 * before going on, so the release step receives every update at the world time it is sent.
 * Only the release step's own flow may sleep on it: a background sleeper would move the world.
 */
export function worldClock(world: World, live?: SimLiveTail): Clock {
  if (live === undefined) {
    return {
      now: () => world.nowMs,
      sleep: (ms) => {
        world.advanceTo(world.nowMs + Math.max(0, ms));
        return Promise.resolve();
      },
    };
  }
  return {
    now: () => world.nowMs,
    sleep: async (ms) => {
      const until = world.nowMs + Math.max(0, ms);
      do {
        world.advanceTo(Math.min(until, (Math.floor(world.nowMs / 1000) + 1) * 1000));
        live.tick();
        await new Promise<void>((resolve) => setImmediate(resolve));
      } while (world.nowMs < until);
    },
  };
}

/** A stack's `shiftline:release` from its Pulumi.<stack>.yaml, validated as the stack does. */
export function stackReleaseSettings(stack: "prod" | "staging"): ReleaseSettings {
  const file = join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
  const config = (parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
  return parseOrThrow(releaseSettingsSchema, config["shiftline:release"] ?? {}, `Pulumi.${stack}.yaml`, "shiftline:release");
}

/** Prod's `shiftline:release` from Pulumi.prod.yaml. */
export const prodReleaseSettings = (): ReleaseSettings => stackReleaseSettings("prod");

/** Prod's alarms on the alias (components/alias-alarms.ts, stage-alarms.ts) with Pulumi.prod.yaml's thresholds. */
export function prodAlarms(fn: SimFunction): AlarmDefinition[] {
  const alias = { FunctionName: fn.functionName, Resource: `${fn.functionName}:${fn.aliasName}` };
  const emf = { service: fn.serviceName, FunctionName: fn.functionName, Alias: fn.aliasName };
  const lambda = (metricName: string, stat: string) => ({ namespace: "AWS/Lambda", metricName, dimensions: alias, stat });
  return [
    { name: "live-errors", metric: lambda("Errors", "Sum"), threshold: 1, periodSeconds: 60, evaluationPeriods: 1 },
    { name: "live-throttles", metric: lambda("Throttles", "Sum"), threshold: 1, periodSeconds: 60, evaluationPeriods: 1 },
    { name: "live-p99-duration", metric: lambda("Duration", "p99"), threshold: 3000, periodSeconds: 60, evaluationPeriods: 1 },
    {
      name: "live-server-error-rate",
      metric: { numerator: { namespace: fn.metricsNamespace, metricName: "ServerErrors", dimensions: emf, stat: "Sum" }, denominator: { namespace: fn.metricsNamespace, metricName: "Requests", dimensions: emf, stat: "Sum" }, scale: 100 },
      threshold: 5,
      periodSeconds: 60,
      evaluationPeriods: 1,
    },
    { name: "prod-5xx-rate", metric: { namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: { ApiName: fn.apiName, Stage: fn.stageName }, stat: "Average" }, threshold: 0.05, periodSeconds: 60, evaluationPeriods: 1 },
  ];
}

export interface ContenderResult {
  readonly promoted: boolean;
  /** Time of the first alias write (undefined when nothing was written). */
  readonly firstShiftMs?: number;
  /** Time of the last alias write. */
  readonly finalWriteMs?: number;
  readonly detail: string;
}

/** Runs the real release step in `world`, releasing `target` over `previous`. */
export interface ShiftlineOptions {
  /** False: the stack names no request metrics. Defaults to true. */
  readonly requestMetrics?: boolean;
  /** The Live Tail channel's assumptions; false: the stack exports no log group (metrics alone). Defaults to DEFAULT_LIVE_TAIL. */
  readonly live?: LiveTailAssumptions | false;
  /** Aborts the release as SIGINT does. */
  readonly signal?: AbortSignal;
  /** Told of the Live Tail channel once it exists (tests look at its sessions). */
  readonly onLive?: (live: SimLiveTail) => void;
}

export async function releaseWithShiftline(world: World, target: string, settings: ReleaseSettings = prodReleaseSettings(), options: ShiftlineOptions = {}): Promise<ContenderResult & { report: ReleaseReport }> {
  const fn = SIM_FUNCTION;
  const live = options.live === false ? undefined : new SimLiveTail(world, fn, world.options.seed, options.live ?? DEFAULT_LIVE_TAIL);
  if (live !== undefined) options.onLive?.(live);
  const clock = worldClock(world, live);
  const alarms = new SimAlarms(world, fn, prodAlarms(fn));
  const ctx: CallContext = { clock, retry: DEFAULT_RETRY };
  const aws = {
    lambda: new LambdaPort(simLambdaClient(world, fn), ctx),
    cloudwatch: new CloudWatchPort(simCloudWatchClient(world, fn, alarms), ctx),
    s3: new S3Port({ send: () => Promise.reject(new Error("the release simulator does not model S3")) } as unknown as S3Client, ctx),
    ...(live !== undefined ? { logs: new LogsPort(live.client(), ctx) } : {}),
  };
  const request: ReleaseRequest = {
    environment: "prod",
    functionName: fn.functionName,
    alias: fn.aliasName,
    // The stage routing to the alias: preflight reads its permission, the stage check sends through it (bench/release/stage.ts).
    stages: [{ stageName: fn.stageName, alias: fn.aliasName, restApiId: fn.restApiId, invokeUrl: `https://${fn.restApiId}.execute-api.eu-west-1.amazonaws.com/${fn.stageName}` }],
    alarmNames: alarms.definitions.map((d) => d.name),
    settings,
    target,
    mode: "start",
    codeUpdateWait: { maxWaitSeconds: 300, minDelaySeconds: 1, maxDelaySeconds: 5 },
    smokeEvents: loadSmokeEvents({ environment: "prod", alias: fn.aliasName }),
    requestMetrics:
      options.requestMetrics === false
        ? undefined
        : { namespace: fn.metricsNamespace, serviceName: fn.serviceName, ...(live !== undefined ? { logGroupArn: `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${fn.functionName}` } : {}) },
  };
  const report = await runRelease(request, { aws, clock, signal: options.signal ?? new AbortController().signal, progress: silentProgress, stageHttp: simStagePort(world) });
  const writes = world.writes;
  return {
    promoted: report.outcome === "promoted",
    firstShiftMs: writes[0]?.atMs,
    finalWriteMs: writes.at(-1)?.atMs,
    detail: `${report.outcome} (exit ${report.exitCode}): ${report.message}`,
    report,
  };
}

/**
 * CodeDeploy's `LambdaCanary10Percent5Minutes` with a SAM-style alias alarm, as modelled here:
 * - 10% of the alias's traffic moves to the new version at once, the rest 5 minutes later
 *   (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html#deployment-configuration-lambda).
 * - One alarm, `Errors` Sum ≥ 1 over one 60 s period on the alias (FunctionName + Resource),
 *   the usual alarm in SAM's safe-deployment examples
 *   (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/automating-updates-to-serverless-apps.html).
 *   It cannot see handled 500s or latency.
 * - CodeDeploy reads the alarm's state once a minute during the deployment and, when it is in
 *   ALARM, rolls back at once (alias wholly on the old version)
 *   (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html).
 *   Reading it once a minute, at the alarm's own evaluation rate, is the model's assumption.
 * - No pre-traffic hook: the function is not invoked before traffic moves; and nothing is sent
 *   through the stage, so a path API Gateway cannot answer (W10) is seen only by an alarm on
 *   API Gateway's metrics, which this model, like the usual SAM example, does not have.
 */
export function releaseWithCodeDeploy(world: World, target: string): ContenderResult {
  const fn = SIM_FUNCTION;
  const alias = { FunctionName: fn.functionName, Resource: `${fn.functionName}:${fn.aliasName}` };
  const alarms = new SimAlarms(world, fn, [{ name: "alias-errors", metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: alias, stat: "Sum" }, threshold: 1, periodSeconds: 60, evaluationPeriods: 1 }]);
  const previous = world.alias.functionVersion;
  world.writeAlias(previous, { [target]: 0.1 });
  const first = world.nowMs;
  for (let waited = 0; waited < 300; waited += 60) {
    world.advanceTo(world.nowMs + 60_000);
    if (alarms.states(world.nowMs)[0].state === "ALARM") {
      world.writeAlias(previous, {});
      return { promoted: false, firstShiftMs: first, finalWriteMs: world.nowMs, detail: `rolled back after ${waited + 60} s: Errors alarm` };
    }
  }
  world.writeAlias(target, {});
  return { promoted: true, firstShiftMs: first, finalWriteMs: world.nowMs, detail: "promoted after 300 s" };
}
