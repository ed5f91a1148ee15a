/**
 * Runs the policy pack's policies the way the @pulumi/policy analyzer server does
 * (pulumi/pulumi-policy sdk/nodejs/policy/server.ts): each resource policy once per resource
 * with `ResourceValidationArgs` (props behind the SDK's unknown-checking proxy, options, the
 * provider, the policy's config), each stack policy once with every resource linked to its
 * parent, dependencies and property dependencies, and the enforcement level from the config,
 * then the policy, then the pack's default (advisory). Collects every violation.
 *
 * Resources come from crafted tables or from the program evaluated under the existing mocks
 * (tests/infra/program.ts `evaluateProgram`).
 */
import { createHash } from "node:crypto";
import {
  UnknownValueError,
  unknownCheckingProxy,
  type EnforcementLevel,
  type PolicyProviderResource,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { policies } from "../../policy/pack";
import type { Evaluation } from "../infra/mocks";

export interface FakeResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly opts?: Partial<PolicyResourceOptions>;
  /** Name of the parent resource. */
  readonly parent?: string;
  readonly provider?: PolicyProviderResource;
  /** Property → names of the resources it depends on. */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
  readonly urn?: string;
}

export type PackConfig = Readonly<Record<string, Record<string, unknown>>>;

export const urnOf = (stack: string, r: Pick<FakeResource, "type" | "name">) => `urn:pulumi:${stack}::shiftline::${r.type}::${r.name}`;

const isStackPolicy = (p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy => "validateStack" in p;

class NotApplicable extends Error {}

/**
 * How an unknown string reaches a policy in a preview: the engine's sentinel, which the SDK's
 * proxy turns into an UnknownValueError when read (pulumi/pulumi sdk/go/common/resource/plugin
 * UnknownStringValue; @pulumi/policy proxy.js unknownStringValue).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every violation the pack reports for `resources` in `stack`. */
export async function runPack(resources: readonly FakeResource[], stack: string, config: PackConfig = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const byName = new Map(resources.map((r) => [r.name, r]));
  const options = (r: FakeResource): PolicyResourceOptions => ({
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.parent === undefined ? {} : { parent: urnOf(stack, byName.get(r.parent) ?? { type: "unknown", name: r.parent }) }),
    ...r.opts,
  });
  const unsupported = () => {
    throw new Error("the shiftline policies compare type tokens; isType/asType are not used");
  };

  for (const p of policies) {
    const given = config[p.name] ?? {};
    const enforcementLevel = (given.enforcementLevel as EnforcementLevel | undefined) ?? p.enforcementLevel ?? "advisory";
    if (enforcementLevel === "disabled") continue;
    const report = (message: string, urn?: string) => violations.push({ policy: p.name, enforcementLevel, message, urn });
    // What the server reports when a policy reads a value a preview cannot know: an advisory.
    const cannotRun = (e: unknown) => violations.push({ policy: p.name, enforcementLevel: "advisory", message: `can't run policy '${p.name}' during preview: ${(e as Error).message}` });
    const common = { getConfig: <T extends object>() => given as T, notApplicable: (): never => { throw new NotApplicable(); }, stackTags: new Map<string, string>() };

    if (isStackPolicy(p)) {
      const linked = new Map<string, PolicyResource>();
      for (const r of resources) {
        linked.set(r.name, { type: r.type, name: r.name, urn: urnOf(stack, r), props: unknownCheckingProxy(r.props), opts: options(r), provider: r.provider, dependencies: [], propertyDependencies: {}, isType: unsupported, asType: unsupported });
      }
      for (const r of resources) {
        const resource = linked.get(r.name) as PolicyResource;
        if (r.parent !== undefined) resource.parent = linked.get(r.parent);
        const deps = Object.entries(r.propertyDependencies ?? {}).map(([k, names]) => [k, names.map((n) => linked.get(n)).filter((d): d is PolicyResource => d !== undefined)] as const);
        resource.propertyDependencies = Object.fromEntries(deps);
        resource.dependencies = [...new Set(deps.flatMap(([, d]) => d))];
      }
      const args: StackValidationArgs = { resources: [...linked.values()], ...common };
      try {
        await p.validateStack(args, report);
      } catch (e) {
        if (e instanceof UnknownValueError) cannotRun(e);
        else if (!(e instanceof NotApplicable)) throw e;
      }
      continue;
    }

    const validations = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    for (const r of resources) {
      const args: ResourceValidationArgs = { type: r.type, name: r.name, urn: urnOf(stack, r), props: unknownCheckingProxy(r.props), opts: options(r), provider: r.provider, isType: unsupported, asType: unsupported, ...common };
      for (const validate of validations) {
        try {
          await validate(args, (message) => report(message, args.urn));
        } catch (e) {
          if (e instanceof UnknownValueError) cannotRun(e);
          else if (!(e instanceof NotApplicable)) throw e;
        }
      }
    }
  }
  return violations;
}

/**
 * The default AWS provider as the engine configures it: its inputs are the stack's `aws:*`
 * config values, namespace stripped, objects as JSON text
 * (https://www.pulumi.com/docs/iac/concepts/resources/providers/#default-providers).
 */
export function defaultProvider(stack: string, config: Readonly<Record<string, string>>): PolicyProviderResource {
  const props = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("aws:")).map(([k, v]) => [k.slice("aws:".length), v]));
  return { type: "pulumi:providers:aws", name: "default", urn: `urn:pulumi:${stack}::shiftline::pulumi:providers:aws::default`, props };
}

/**
 * The resources the program registered, as the engine hands them to the analyzers: inputs,
 * options (parent, protect, ignoreChanges), the default provider for aws resources, and each
 * property's dependencies (which resources the Outputs it was given came from).
 */
export async function fromProgram(evaluation: Evaluation<unknown>, stack: string, config: Readonly<Record<string, string>>): Promise<FakeResource[]> {
  const provider = defaultProvider(stack, config);
  // The mocks' readable ids (`mocked::<type>::<name>`) hold `:` and `/`, which no REST API id
  // does (API Gateway ids are 10 lower-case letters and digits), so an execute-api ARN built
  // from one cannot be read as AWS writes it. Each REST API's id is swapped for an id of AWS's
  // shape wherever it appears; nothing else is changed.
  const apiIds = new Map(
    evaluation.resources
      .filter((r) => r.type === "aws:apigateway/restApi:RestApi")
      .map((r) => [`mocked::${r.type}::${r.name}`, createHash("sha256").update(r.name).digest("hex").replace(/[^a-z0-9]/g, "").slice(0, 10)] as const),
  );
  const realistic = (value: unknown): unknown => {
    if (typeof value === "string") return [...apiIds].reduce((s, [mocked, id]) => s.split(mocked).join(id), value);
    if (Array.isArray(value)) return value.map(realistic);
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, realistic(v)]));
    return value;
  };
  // The program's explicit AWS provider (index.ts), as the engine hands it to analyzers: its
  // inputs, objects as JSON text. Resources registered with it see it; others the default one.
  const explicit = new Map(
    evaluation.resources
      .filter((r) => r.type === "pulumi:providers:aws")
      .map((r) => [
        r.name,
        {
          type: r.type,
          name: r.name,
          urn: `urn:pulumi:${stack}::shiftline::pulumi:providers:aws::${r.name}`,
          props: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : v])),
        } satisfies PolicyProviderResource,
      ]),
  );
  const providerOf = (r: (typeof evaluation.resources)[number]): PolicyProviderResource | undefined => {
    if (!r.type.startsWith("aws:")) return undefined;
    const name = r.provider === undefined ? undefined : /pulumi:providers:aws::([^:]+)::/.exec(r.provider)?.[1];
    return (name !== undefined ? explicit.get(name) : undefined) ?? provider;
  };
  const out: FakeResource[] = [];
  for (const r of evaluation.resources) {
    if (r.type.startsWith("pulumi:providers:")) continue;
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(r.props)) {
      const deps = await evaluation.cloud.dependenciesOf(value);
      if (deps.length > 0) propertyDependencies[key] = deps.map((d) => d.name);
    }
    out.push({
      type: r.type,
      name: r.name,
      props: realistic(r.inputs) as Record<string, unknown>,
      opts: { protect: r.protect, ignoreChanges: [...r.ignoreChanges] },
      parent: r.parent?.name,
      provider: providerOf(r),
      propertyDependencies,
    });
  }
  return out;
}

export const mandatory = (violations: readonly Violation[]) => violations.filter((v) => v.enforcementLevel === "mandatory");
export const ofPolicy = (violations: readonly Violation[], policy: string) => violations.filter((v) => v.policy === policy);
