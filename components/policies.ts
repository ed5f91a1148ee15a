/**
 * IAM policy documents built from data, so tests can read every action and resource.
 * Actions are always listed one by one: no `*` actions, and resources are scoped to
 * this stack's own ARNs wherever AWS allows it.
 */
import * as pulumi from "@pulumi/pulumi";

/** Trust policy letting one AWS service assume the role. */
export function serviceTrustPolicy(service: "lambda.amazonaws.com" | "apigateway.amazonaws.com"): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** A table the function may use, and exactly the actions its handlers call. */
export interface TableGrant {
  readonly arn: pulumi.Input<string>;
  readonly actions: readonly string[];
}

/**
 * The execution role's permissions: write its own log group's streams, and the listed
 * DynamoDB actions on the listed tables. Log stream ARNs are `<log group arn>:log-stream:<name>`,
 * so `<log group arn>:*` is the narrowest resource that covers them.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
 */
export function executionRolePolicy(logGroupArn: pulumi.Input<string>, tables: Readonly<Record<string, TableGrant>>): pulumi.Output<string> {
  const tableStatements = Object.entries(tables).map(([key, grant]) => ({
    Sid: `Table${key.replace(/[^A-Za-z0-9]/g, "")}`,
    Effect: "Allow",
    Action: [...grant.actions],
    Resource: grant.arn,
  }));
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logGroupArn}:*` },
      ...tableStatements,
    ],
  });
}
