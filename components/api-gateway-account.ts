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

/** The name API Gateway gives each stage's execution log group: `API-Gateway-Execution-Logs_<api id>/<stage>`. */
export const EXECUTION_LOG_GROUP_PREFIX = "API-Gateway-Execution-Logs_";
/**
 * The name every stage's access log group starts with (components/rest-api-stages.ts), so the
 * account's one role can write them for every stack in the region and nothing else.
 */
export const ACCESS_LOG_GROUP_PREFIX = "API-Gateway-Access-Logs_";
/**
 * Where API Gateway writes when the role is saved. UpdateAccount test-writes with the role and
 * fails with "API Gateway could not successfully write to CloudWatch Logs using the ARN
 * specified" if it cannot (terraform-provider-aws internal/service/apigateway/account.go retries
 * on exactly that message); the group it writes, `/aws/apigateway/welcome` ("Cloudwatch logs
 * enabled for API Gateway"), is the one that appears in an account once the role is set.
 */
export const WELCOME_LOG_GROUP = "/aws/apigateway/welcome";

/**
 * The actions of the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs, which API Gateway
 * documents for this role and which grants them all on "*":
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
 * Here every action that takes a log-group or log-stream ARN is limited to API Gateway's own
 * groups; DescribeLogGroups has no resource type in the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html),
 * so it can only be granted on "*", where it lists group names and settings, not their events.
 */
export const API_GATEWAY_LOG_GROUP_ACTIONS = [
  "logs:CreateLogGroup",
  "logs:CreateLogStream",
  "logs:DescribeLogStreams",
  "logs:PutLogEvents",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
] as const;
export const API_GATEWAY_LIST_ACTIONS = ["logs:DescribeLogGroups"] as const;
export const API_GATEWAY_LOG_ACTIONS = [...API_GATEWAY_LOG_GROUP_ACTIONS, ...API_GATEWAY_LIST_ACTIONS] as const;

export interface ApiGatewayAccountArgs {
  /** Region whose API Gateway account setting this is (the log groups' region). Required. */
  readonly region: string;
}

/**
 * The role's inline policy. A group ARN is `…:log-group:<name>` and its streams
 * `…:log-group:<name>:log-stream:<stream>`; IAM's `*` matches across `:`, so each
 * `…:log-group:<prefix>*` covers a group and its streams, and never `/aws/lambda/…`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
 */
export function apiGatewayLogsPolicy(partition: pulumi.Input<string>, region: string, account: pulumi.Input<string>): pulumi.Output<string> {
  const group = (pattern: string) => pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:${pattern}`;
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteApiGatewayLogGroups",
        Effect: "Allow",
        Action: [...API_GATEWAY_LOG_GROUP_ACTIONS],
        Resource: [group(`${EXECUTION_LOG_GROUP_PREFIX}*`), group(`${ACCESS_LOG_GROUP_PREFIX}*`), group(WELCOME_LOG_GROUP), group(`${WELCOME_LOG_GROUP}:*`)],
      },
      { Sid: "ListLogGroups", Effect: "Allow", Action: [...API_GATEWAY_LIST_ACTIONS], Resource: "*" },
    ],
  });
}

/**
 * API Gateway may assume the role only on behalf of this account (confused-deputy guard).
 * IAM puts aws:SourceAccount in the request context only when the calling service passes it;
 * with a plain StringEquals a request without the key is denied, which would break logging and
 * the UpdateAccount check if API Gateway does not pass it, so the IfExists form compares it
 * whenever it is present. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function apiGatewayTrustPolicy(account: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEqualsIfExists: { "aws:SourceAccount": account } },
      },
    ],
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
    const role = new aws.iam.Role(childName(name, "cloudwatch-role"), { assumeRolePolicy: apiGatewayTrustPolicy(account) }, kept);
    const policy = new aws.iam.RolePolicy(childName(name, "cloudwatch-policy"), { role: role.id, policy: apiGatewayLogsPolicy(partition, args.region, account) }, kept);
    // API Gateway test-writes logs with the role when the setting is saved (see WELCOME_LOG_GROUP), so grant first.
    this.account = new aws.apigateway.Account(childName(name, "settings"), { cloudwatchRoleArn: role.arn }, { ...kept, dependsOn: [policy] });
    this.cloudwatchRoleArn = role.arn;
    this.registerOutputs({ cloudwatchRoleArn: this.cloudwatchRoleArn });
  }
}
