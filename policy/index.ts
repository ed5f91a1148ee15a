/**
 * Entry point Pulumi runs for `pulumi preview --policy-pack policy`: the nodejs language host
 * starts @pulumi/pulumi's run-policy-pack in this folder, which compiles this file with ts-node
 * and serves the pack to the engine. The policies themselves live in pack.ts, so tests can
 * import them without starting a policy server.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies, POLICY_PACK_NAME } from "./pack";

new PolicyPack(POLICY_PACK_NAME, {
  description: "shiftline invariants: traffic owned by the release step, scoped Lambda permissions, no * IAM actions, a locked-down artifact bucket, protected prod tables, log retention, stack tags.",
  policies,
});
