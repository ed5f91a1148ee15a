/**
 * On Node.js before 22 every AWS SDK for JavaScript v3 client prints, once per process,
 * "NodeVersionSupportWarning: ... versions published after the first week of January 2027 will
 * require node >=22". The SDK's own switch for it is the environment variable
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, read when a client is constructed
 * (aws/aws-sdk-js-v3 issue #7983, and packages-internal/core/src/submodules/client/
 * emitWarningIfUnsupportedVersion.ts: `=== "true"` skips the warning).
 *
 * Only `npm start` and the tests set it, where the warning is noise repeated on every run. The
 * function runs on Lambda's Node.js 22 runtime, which never warns, and the release CLIs leave it
 * alone: there the Node.js in use is the operator's, and the warning is news to act on.
 */
export const SDK_NODE_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** Turns the warning off in `env` unless it says otherwise already. */
export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env[SDK_NODE_WARNING_SWITCH] ??= "true";
}
