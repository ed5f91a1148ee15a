/**
 * ApiGatewayAccount: the region's API Gateway account setting that names the IAM role API
 * Gateway uses to write CloudWatch logs. There is one such setting per account and region,
 * so exactly one stack per account and region should own it (`manageApiGatewayAccount`);
 * stages with logging fail to create until it is set.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
 *
 * Every resource here is `retainOnDelete`: other stacks in the account and region (prod, when
 * staging owns the setting) log through the same role, so `pulumi destroy` of the owning stack
 * must leave the role, its policy and the setting in place.
 * https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childName, throwIfProblems } from "./naming";
import { serviceTrustPolicy } from "./policies";

/**
 * What API Gateway needs to write execution and access logs: the actions of the AWS managed
 * policy AmazonAPIGatewayPushToCloudWatchLogs, which grants them on "*". Here they are limited
 * to this account's log groups in this region; API Gateway names execution log groups itself
 * (`API-Gateway-Execution-Logs_<api id>/<stage>`) and the role serves every API in the region,
 * so the log group name cannot be narrowed further. Each of these actions accepts a log-group
 * ARN as its resource, so none of them needs "*".
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
export const API_GATEWAY_LOG_ACTIONS = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:DescribeLogGroups",
  "logs:DescribeLogStreams",
  "logs:PutLogEvents",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
] as const;

export interface ApiGatewayAccountArgs {
  /** Region whose API Gateway account setting this is (the log groups' region). Required. */
  readonly region: string;
}

/** The role's inline policy: the log actions on this account's log groups in `region`, and their streams. */
export function apiGatewayLogsPolicy(partition: pulumi.Input<string>, region: string, account: pulumi.Input<string>): pulumi.Output<string> {
  const groups = pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:*`;
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "WriteApiGatewayLogs", Effect: "Allow", Action: [...API_GATEWAY_LOG_ACTIONS], Resource: [groups, pulumi.interpolate`${groups}:log-stream:*`] }],
  });
}

export class ApiGatewayAccount extends pulumi.ComponentResource {
  public readonly cloudwatchRoleArn: pulumi.Output<string>;
  /** The account-settings resource; stages with logging depend on it. */
  public readonly account: aws.apigateway.Account;

  constructor(name: string, args: ApiGatewayAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(args.region)) throwIfProblems("ApiGatewayAccount", [["region", args.region, "must be an AWS region such as eu-west-1."]]);
    super("shiftline:api:ApiGatewayAccount", name, {}, opts);
    const kept = { parent: this, retainOnDelete: true };
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const role = new aws.iam.Role(childName(name, "cloudwatch-role"), { assumeRolePolicy: serviceTrustPolicy("apigateway.amazonaws.com") }, kept);
    const policy = new aws.iam.RolePolicy(childName(name, "cloudwatch-policy"), { role: role.id, policy: apiGatewayLogsPolicy(partition, args.region, account) }, kept);
    // API Gateway checks the role can write logs when the setting is saved, so grant first.
    this.account = new aws.apigateway.Account(childName(name, "settings"), { cloudwatchRoleArn: role.arn }, { ...kept, dependsOn: [policy] });
    this.cloudwatchRoleArn = role.arn;
    this.registerOutputs({ cloudwatchRoleArn: this.cloudwatchRoleArn });
  }
}
