/** The SDK clients, built once per run with adaptive retry for throttling. */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { DEFAULT_RETRY, type CallContext } from "./call";
import { CloudWatchPort } from "./cloudwatch";
import { LambdaPort } from "./lambda";
import { LogsPort } from "./logs";
import { S3Port } from "./s3";
import type { Clock } from "../core/clock";

export interface AwsPorts {
  readonly lambda: LambdaPort;
  readonly cloudwatch: CloudWatchPort;
  readonly s3: S3Port;
  /** Live Tail on the function's log group; absent where nothing provides it (the release is then judged on metrics). */
  readonly logs?: LogsPort;
}

export function createAwsPorts(region: string, clock: Clock, onRetry?: CallContext["onRetry"]): AwsPorts {
  // "adaptive" adds client-side rate limiting on top of standard retries
  // (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
  const config = { region, maxAttempts: 5, retryMode: "adaptive" };
  const ctx: CallContext = { clock, retry: DEFAULT_RETRY, onRetry };
  return {
    lambda: new LambdaPort(new LambdaClient(config), ctx),
    cloudwatch: new CloudWatchPort(new CloudWatchClient(config), ctx),
    s3: new S3Port(new S3Client(config), ctx),
    logs: new LogsPort(new CloudWatchLogsClient(config), ctx),
  };
}
