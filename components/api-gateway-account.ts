/**
 * ApiGatewayAccount: the region's API Gateway account setting that names the IAM role API
 * Gateway uses to write CloudWatch logs. There is one such setting per account and region,
 * so exactly one stack per account and region should own it (`manageApiGatewayAccount`);
 * stages with access logging fail to create until it is set.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "./naming";
import { serviceTrustPolicy } from "./policies";

/** The AWS managed policy API Gateway documents for this role (a service-role policy, not *FullAccess). */
export const PUSH_TO_CLOUDWATCH_POLICY = "policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";

/** No settings: the component exists only where config says this stack owns the account setting. */
export type ApiGatewayAccountArgs = Record<string, never>;

export class ApiGatewayAccount extends pulumi.ComponentResource {
  public readonly cloudwatchRoleArn: pulumi.Output<string>;
  /** The account-settings resource; stages with logging depend on it. */
  public readonly account: aws.apigateway.Account;

  constructor(name: string, _args: ApiGatewayAccountArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("shiftline:api:ApiGatewayAccount", name, {}, opts);
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent).partition;
    const role = new aws.iam.Role(childName(name, "cloudwatch-role"), { assumeRolePolicy: serviceTrustPolicy("apigateway.amazonaws.com") }, parent);
    const attachment = new aws.iam.RolePolicyAttachment(
      childName(name, "cloudwatch-policy"),
      { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:${PUSH_TO_CLOUDWATCH_POLICY}` },
      parent,
    );
    // API Gateway checks the role can write logs when the setting is saved, so attach first.
    this.account = new aws.apigateway.Account(childName(name, "settings"), { cloudwatchRoleArn: role.arn }, { parent: this, dependsOn: [attachment] });
    this.cloudwatchRoleArn = role.arn;
    this.registerOutputs({ cloudwatchRoleArn: this.cloudwatchRoleArn });
  }
}
