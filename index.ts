/**
 * The shiftline Pulumi program: read the stack config once, build (or read) the function
 * packages, declare one environment, export what the release step reads.
 * `pulumi up -s <env>` publishes a new function version; the release step moves traffic to it.
 */
import * as aws from "@pulumi/aws";
import { buildFunctions } from "./lambda-src/build";
import { loadFunctionPackages } from "./components/build-manifest";
import { loadConfig } from "./components/config";
import { ShiftlineStack } from "./components/shiftline-stack";

const config = loadConfig();
const packages = loadFunctionPackages({ manifestPath: config.artifactManifest, build: () => buildFunctions() });
// One explicit AWS provider for every resource (components inherit it from their parent): its
// default tags put service, environment and stack on every resource that takes tags, and the
// stack's name prefix starts every name, so staging and prod in one account never look alike.
// An explicit provider reads no `aws:*` stack config, only its arguments and the environment
// (AWS_PROFILE, AWS_REGION, …), so the region is passed here and config.ts refuses other aws: keys.
// https://www.pulumi.com/registry/packages/aws/api-docs/provider/
// https://www.pulumi.com/docs/iac/concepts/resources/providers/#explicit-provider-configuration
const provider = new aws.Provider(`${config.namePrefix}-aws`, { region: config.region, defaultTags: { tags: config.tags } });
const app = new ShiftlineStack(config.namePrefix, { config, packages }, { providers: [provider] });

// The keys of release/inputs/stack-outputs.ts `stackOutputsSchema`: the release CLI reads exactly these
// (strictly) and ignores any other export, such as deployerRoleArn below.
export const environment = app.outputs.environment;
export const region = app.outputs.region;
export const functionName = app.outputs.functionName;
export const latestVersion = app.outputs.latestVersion;
export const aliases = app.outputs.aliases;
/** Each stage's invokeUrl resolves only once the stage can invoke its alias. */
export const stages = app.outputs.stages;
export const alarmNames = app.outputs.alarmNames;
export const artifactBucket = app.outputs.artifactBucket;
export const artifactKeyPrefix = app.outputs.artifactKeyPrefix;
export const codeDeployment = app.outputs.codeDeployment;
export const requestMetrics = app.outputs.requestMetrics;
export const release = app.outputs.release;

// Not part of the release contract: the role CI assumes for the release step (set it as the
// GitHub environment variable RELEASE_ROLE_ARN). Undefined unless `shiftline:deployer` is set.
export const deployerRoleArn = app.deployerRoleArn;
