/**
 * Loaded by mocha before any test file (.mocharc.json `require`): the test process, and the
 * processes it starts with its environment, run without the SDK's NodeVersionSupportWarning
 * (local/sdk-node-warning.ts says why that is noise here).
 */
import { quietSdkNodeVersionWarning } from "../../local/sdk-node-warning";

quietSdkNodeVersionWarning();
