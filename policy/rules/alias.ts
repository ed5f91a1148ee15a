/**
 * The release step owns every alias's traffic: Pulumi creates the alias once and must never
 * send it a version or a routing config again. `ignoreChanges` is how a program says so
 * (https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/); policies see a resource's
 * options as `args.opts` (@pulumi/policy `ResourceValidationArgs.opts.ignoreChanges`).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { message } from "../lib";

export const ALIAS_TYPE = "aws:lambda/alias:Alias";
/** The alias inputs that carry traffic: the primary version and the weighted routing config. */
export const RELEASE_OWNED = ["functionVersion", "routingConfig"] as const;

/** True when `ignoreChanges` covers `property` (the property itself, or Pulumi's `*` for every property). */
const ignores = (ignoreChanges: readonly string[], property: string) => ignoreChanges.includes(property) || ignoreChanges.includes("*");

export const aliasOwnedByRelease: ResourceValidationPolicy = {
  name: "alias-traffic-owned-by-release",
  description: "Every Lambda alias ignores changes to functionVersion and routingConfig, so pulumi up never moves traffic the release step owns.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== ALIAS_TYPE) return;
    const ignoreChanges = args.opts.ignoreChanges ?? [];
    for (const property of RELEASE_OWNED) {
      if (ignores(ignoreChanges, property)) continue;
      reportViolation(
        message(
          args,
          "ignoreChanges",
          ignoreChanges,
          `must include ${property}: the release step moves the alias's traffic, and without it the next pulumi up would write the alias back to the ${property} in the program.`,
          `add "${property}" to the alias's ignoreChanges resource option (components/lambda-service.ts declares the alias).`,
        ),
      );
    }
  },
};
