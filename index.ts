/**
 * The shiftline Pulumi program: read the stack config once, build (or read) the function
 * packages, declare one environment, export what the release step reads.
 * `pulumi up -s <env>` publishes a new function version; the release step moves traffic to it.
 */
import { buildFunctions } from "./lambda-src/build";
import { loadFunctionPackages } from "./components/build-manifest";
import { loadConfig } from "./components/config";
import { ShiftlineStack } from "./components/shiftline-stack";

const config = loadConfig();
const packages = loadFunctionPackages({ manifestPath: config.artifactManifest, build: () => buildFunctions() });
const app = new ShiftlineStack("shiftline", { config, packages });

// The keys of release/stack-outputs.ts `stackOutputsSchema`: the release CLI reads exactly these
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
export const release = app.outputs.release;

// Not part of the release contract: the role CI assumes for the release step (set it as the
// GitHub environment variable RELEASE_ROLE_ARN). Undefined unless `shiftline:deployer` is set.
export const deployerRoleArn = app.deployerRoleArn;
