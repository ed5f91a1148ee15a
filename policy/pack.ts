/**
 * The shiftline policies, one per invariant the design rests on. Mandatory ones fail
 * `pulumi preview`/`pulumi up`; advisory ones are printed as warnings. Every enforcement level
 * can be changed per policy with `--policy-pack-config` (README "Policy pack").
 */
import type { Policies } from "@pulumi/policy";
import { aliasOwnedByRelease } from "./rules/alias";
import { artifactBucketLockedDown } from "./rules/artifact-bucket";
import { noWildcardActions } from "./rules/iam";
import { logGroupRetention } from "./rules/log-retention";
import { lambdaPermissionScoped } from "./rules/permissions";
import { tableProtection } from "./rules/tables";
import { requiredTags } from "./rules/tags";

export const POLICY_PACK_NAME = "shiftline";

export const policies: Policies = [aliasOwnedByRelease, lambdaPermissionScoped, noWildcardActions, artifactBucketLockedDown, tableProtection, logGroupRetention, requiredTags];
