/**
 * Pulumi mocks for the infrastructure tests: readable ids (`mocked::<type>::<name>`), the
 * computed outputs AWS would return (ARNs, versions, invoke URLs), a strict invoke mock that
 * throws on anything not stubbed, and a recorder that captures every resource's type, name,
 * inputs and options (parent, ignoreChanges, protect, retainOnDelete, dependsOn) through a stack transformation.
 */
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";

export interface ResourceRef {
  readonly type: string;
  readonly name: string;
}

export interface CapturedResource extends ResourceRef {
  /** Inputs as the engine received them, every Output resolved. */
  readonly inputs: Record<string, unknown>;
  /** The parent given in the resource options (undefined: the stack itself). */
  readonly parent?: ResourceRef;
  readonly ignoreChanges: readonly string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly dependsOn: readonly ResourceRef[];
  /** True for provider resources, false for components. */
  readonly custom: boolean;
  /** Properties as declared, Outputs unresolved (to see what each input waits for). */
  readonly props: Record<string, unknown>;
  /** The provider reference (`<urn>::<id>`) the engine registered the resource with; undefined for components. */
  readonly provider?: string;
}

/** Awaits any Input, nested Outputs included. Fails instead of hanging on an unknown value. */
export async function unwrap<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  const out = pulumi.output(value) as unknown as { promise(): Promise<pulumi.Unwrap<T>>; isKnown: Promise<boolean> };
  const [resolved, known] = await Promise.all([out.promise(), out.isKnown]);
  if (!known) throw new Error("the output is unknown; tests run with preview = false, so a value was never set");
  return resolved;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").toLowerCase();

interface PendingCapture extends ResourceRef {
  readonly resource: pulumi.Resource;
  readonly props: Record<string, unknown>;
  readonly parent?: pulumi.Resource;
  readonly ignoreChanges: readonly string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly dependsOn: readonly pulumi.Resource[];
}

/** One evaluation's mocks and recorder. Create a new one per stack or component under test. */
export class MockCloud {
  readonly invokes: string[] = [];
  /** The provider reference each invoke ran with, in invoke order (undefined: the default provider). */
  readonly invokeProviders: Array<string | undefined> = [];
  private readonly inputs = new Map<string, { inputs: Record<string, unknown>; custom: boolean; provider?: string }>();
  private readonly pending: PendingCapture[] = [];
  private readonly refs = new Map<pulumi.Resource, ResourceRef>();

  constructor(readonly region = "eu-west-1") {}

  readonly mocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
      this.inputs.set(`${args.type}::${args.name}`, { inputs: args.inputs as Record<string, unknown>, custom: args.custom ?? true, provider: args.provider });
      const id = `mocked::${args.type}::${args.name}`;
      return { id, state: { ...args.inputs, ...this.computed(args.type, args.name, id, args.inputs as Record<string, unknown>) } };
    },
    call: (args) => {
      this.invokes.push(args.token);
      this.invokeProviders.push(args.provider);
      switch (args.token) {
        case "aws:index/getPartition:getPartition":
          return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsSuffix: "com.amazonaws" };
        case "aws:index/getRegion:getRegion":
          return { id: this.region, name: this.region, region: this.region, endpoint: `ec2.${this.region}.amazonaws.com`, description: this.region };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { id: MOCK_ACCOUNT, accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "mock" };
        default:
          throw new Error(`unexpected invoke ${args.token}(${JSON.stringify(args.inputs)}): stub it in tests/infra/mocks.ts if the program really needs it`);
      }
    },
  };

  /** Records every resource's options; registered as a stack transformation. */
  readonly transformation: pulumi.ResourceTransformation = (args) => {
    const opts = args.opts as pulumi.CustomResourceOptions;
    const dependsOn = opts.dependsOn === undefined ? [] : Array.isArray(opts.dependsOn) ? opts.dependsOn : [opts.dependsOn];
    this.refs.set(args.resource, { type: args.type, name: args.name });
    this.pending.push({
      type: args.type,
      name: args.name,
      resource: args.resource,
      props: args.props as Record<string, unknown>,
      parent: opts.parent,
      ignoreChanges: opts.ignoreChanges ?? [],
      protect: opts.protect === true,
      retainOnDelete: opts.retainOnDelete === true,
      dependsOn: dependsOn as pulumi.Resource[],
    });
    return undefined;
  };

  /** Waits until every declared resource is registered, then returns what was captured. */
  async settle(): Promise<CapturedResource[]> {
    await Promise.all(this.pending.map((p) => unwrap(p.resource.urn)));
    return this.pending
      .filter((p) => p.type !== "pulumi:pulumi:Stack")
      .map((p) => {
        const registered = this.inputs.get(`${p.type}::${p.name}`);
        return {
          type: p.type,
          name: p.name,
          inputs: registered?.inputs ?? {},
          custom: registered?.custom ?? false,
          parent: p.parent === undefined ? undefined : this.refs.get(p.parent),
          ignoreChanges: p.ignoreChanges,
          protect: p.protect,
          retainOnDelete: p.retainOnDelete,
          dependsOn: p.dependsOn.map((d) => this.refs.get(d) ?? { type: "unknown", name: "unknown" }),
          props: p.props,
          provider: registered?.provider,
        };
      });
  }

  /** The resources a value (an Output, or an object holding some) waits for. */
  async dependenciesOf(value: unknown): Promise<ResourceRef[]> {
    const out = pulumi.output(value) as unknown as { allResources(): Promise<Set<pulumi.Resource>> };
    const resources = await out.allResources();
    return [...resources].map((r) => this.refs.get(r) ?? { type: "unknown", name: "unknown" });
  }

  /** Outputs AWS computes, shaped like the real ones. */
  private computed(type: string, name: string, id: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const { region } = this;
    const physical = typeof inputs.name === "string" ? inputs.name : name;
    switch (type) {
      case "aws:s3/bucket:Bucket":
        return { bucket: slug(name), arn: `arn:aws:s3:::${slug(name)}` };
      case "aws:s3/bucketObjectv2:BucketObjectv2":
      case "pulumi-nodejs:dynamic/shiftline:VersionedArtifact":
        return { versionId: `version-of-${name}` };
      case "aws:lambda/function:Function":
        return { name: physical, arn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT}:function:${physical}`, version: "1" };
      case "aws:lambda/alias:Alias":
        return { arn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT}:function:${String(inputs.functionName)}:${physical}` };
      case "aws:iam/role:Role":
        return { name: physical, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${physical}` };
      case "aws:cloudwatch/logGroup:LogGroup":
        return { name: physical, arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT}:log-group:${physical}` };
      case "aws:dynamodb/table:Table":
        return { name: physical, arn: `arn:aws:dynamodb:${region}:${MOCK_ACCOUNT}:table/${physical}` };
      case "aws:apigateway/restApi:RestApi":
        return { name: physical, rootResourceId: `${name}-root`, executionArn: `arn:aws:execute-api:${region}:${MOCK_ACCOUNT}:${id}` };
      case "aws:apigateway/stage:Stage":
        return { invokeUrl: `https://${slug(String(inputs.restApi))}.execute-api.${region}.amazonaws.com/${String(inputs.stageName)}` };
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        return { name: physical, arn: `arn:aws:cloudwatch:${region}:${MOCK_ACCOUNT}:alarm:${physical}` };
      default:
        return { name: physical };
    }
  }
}

export interface Evaluation<T> {
  readonly value: T;
  readonly resources: CapturedResource[];
  readonly cloud: MockCloud;
}

/**
 * Runs `declare` as a Pulumi stack under fresh mocks and `config` (flat `ns:key` → string, as the
 * CLI passes it), capturing every resource. `declare` returns the stack outputs.
 */
export async function evaluate<T>(stack: string, config: Record<string, string>, declare: () => T, region = "eu-west-1"): Promise<Evaluation<pulumi.Unwrap<T>>> {
  const cloud = new MockCloud(region);
  await pulumi.runtime.setMocks(cloud.mocks, "shiftline", stack, false);
  pulumi.runtime.setAllConfig(config);
  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(cloud.transformation);
    return { value: declare() };
  });
  const resources = await cloud.settle();
  // Let the stack's own output registration finish before the next evaluation swaps the mocks.
  await pulumi.runtime.disconnect();
  return { value: (outputs as { value: pulumi.Unwrap<T> }).value, resources, cloud };
}

/** Resources of one type. */
export const ofType = (resources: readonly CapturedResource[], type: string): CapturedResource[] => resources.filter((r) => r.type === type);

/** Counts per resource type, sorted by type. */
export function countByType(resources: readonly CapturedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of [...resources].sort((a, b) => a.type.localeCompare(b.type))) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}
