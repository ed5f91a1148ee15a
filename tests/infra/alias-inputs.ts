/**
 * The inputs of aws.lambda.Alias, enumerated from the provider's own declaration
 * (node_modules/@pulumi/aws/lambda/alias.d.ts, AliasArgs) rather than from the program, and the
 * check that an alias registered by the program can be neither updated by a program change nor
 * replaced behind the release step's back. An input a provider upgrade adds fails the check
 * until it is classified here.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { CapturedResource } from "./mocks";

/** Input properties of `interface AliasArgs` as the installed @pulumi/aws declares them. */
export function aliasArgsProperties(): string[] {
  const dts = readFileSync(require.resolve("@pulumi/aws/lambda/alias.d.ts"), "utf8");
  const body = /export interface AliasArgs \{([\s\S]*?)\n\}/.exec(dts)?.[1];
  assert.ok(body, "no AliasArgs interface in @pulumi/aws/lambda/alias.d.ts");
  return [...body.matchAll(/^\s{4}(\w+)\??:/gm)].map((m) => m[1]);
}

/**
 * Inputs the provider replaces the alias on rather than updating it: `function_name` and `name`
 * are ForceNew in hashicorp/terraform-provider-aws internal/service/lambda/alias.go, and the
 * per-resource `region` forces replacement (website/docs/guides/enhanced-region-support.html.markdown).
 * Every other input is sent by UpdateAlias, which always carries FunctionVersion and RoutingConfig.
 */
const FORCE_NEW = new Set(["functionName", "name", "region"]);

/** Whether the alias can neither be updated by a program change nor replaced behind the release step's back. */
export function assertNeverMovedByPulumi(alias: CapturedResource): void {
  const inputs = aliasArgsProperties();
  assert.ok(inputs.includes("functionVersion") && inputs.includes("routingConfig"), `unexpected AliasArgs: ${inputs.join(", ")}`);
  for (const input of inputs) {
    if (FORCE_NEW.has(input)) {
      assert.equal(alias.protect, true, `${alias.name}: a change of ${input} replaces the alias (a new alias at this update's version), so it must be protected`);
    } else {
      assert.ok(alias.ignoreChanges.includes(input), `${alias.name}: ${input} can be updated in place, and any update resends the stored version and weights; it must be in ignoreChanges (has ${alias.ignoreChanges.join(", ")})`);
    }
  }
  assert.equal(alias.inputs.region, undefined, `${alias.name}: the alias must follow the provider's region, not set its own`);
}
