/**
 * Every AWS SDK command the release CLI may send, with the IAM actions it needs and the
 * resource it touches. The DeployerRole grants exactly these, and a test cross-checks the
 * commands the CLI's AWS adapters construct against this table, so the two cannot drift.
 */

/** Which resource of the stack a command acts on; the role scopes each to its ARN. */
export type ActionScope =
  | "function" // the function and its versions: arn:aws:lambda:<r>:<a>:function:<fn> and :<fn>:<version>
  | "alias" // the function's aliases: arn:aws:lambda:<r>:<a>:function:<fn>:<alias>
  | "artifacts" // objects under the artifact prefix: arn:aws:s3:::<bucket>/functions/<fn>/*
  | "alarms" // the stack's alarms: arn:aws:cloudwatch:<r>:<a>:alarm:<name>
  | "metrics"; // CloudWatch metric reads, which AWS does not allow to scope to a resource

export interface CommandPermission {
  readonly actions: readonly string[];
  readonly scope: ActionScope;
}

export const COMMAND_PERMISSIONS = {
  // lambda
  GetAliasCommand: { actions: ["lambda:GetAlias"], scope: "alias" },
  UpdateAliasCommand: { actions: ["lambda:UpdateAlias"], scope: "alias" },
  GetFunctionConfigurationCommand: { actions: ["lambda:GetFunctionConfiguration"], scope: "function" },
  ListVersionsByFunctionCommand: { actions: ["lambda:ListVersionsByFunction"], scope: "function" },
  GetPolicyCommand: { actions: ["lambda:GetPolicy"], scope: "alias" },
  InvokeCommand: { actions: ["lambda:InvokeFunction"], scope: "function" },
  UpdateFunctionCodeCommand: { actions: ["lambda:UpdateFunctionCode"], scope: "function" },
  PublishVersionCommand: { actions: ["lambda:PublishVersion"], scope: "function" },
  // s3 (artifact mode)
  PutObjectCommand: { actions: ["s3:PutObject"], scope: "artifacts" },
  HeadObjectCommand: { actions: ["s3:GetObject"], scope: "artifacts" },
  // cloudwatch
  DescribeAlarmsCommand: { actions: ["cloudwatch:DescribeAlarms"], scope: "alarms" },
  GetMetricDataCommand: { actions: ["cloudwatch:GetMetricData"], scope: "metrics" },
} as const satisfies Record<string, CommandPermission>;

export type CommandName = keyof typeof COMMAND_PERMISSIONS;
