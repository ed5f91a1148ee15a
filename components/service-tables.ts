/**
 * ServiceTables: one on-demand, encrypted DynamoDB table per entry of the table specs
 * (lambda-src/tables.ts). With `protect` on, each table also gets point-in-time recovery,
 * AWS deletion protection and Pulumi's `protect`, so neither `pulumi destroy` nor a stray
 * replacement can drop production data.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TableSpec } from "../lambda-src/tables";
import { childName, throwIfProblems, type ArgProblem } from "./naming";

export interface ServiceTablesArgs {
  /** Table key → spec (hash key, environment variable). Required, at least one. */
  readonly tables: Readonly<Record<string, TableSpec>>;
  /** Point-in-time recovery, deletion protection and Pulumi `protect`. Defaults to true. */
  readonly protect?: boolean;
}

export interface ResolvedServiceTablesArgs {
  readonly tables: Readonly<Record<string, TableSpec>>;
  readonly protect: boolean;
}

/** Applies defaults and validates; throws listing every problem. */
export function resolveServiceTablesArgs(args: ServiceTablesArgs): ResolvedServiceTablesArgs {
  const r = { tables: args.tables, protect: args.protect ?? true };
  const problems: ArgProblem[] = [];
  if (Object.keys(r.tables).length === 0) problems.push(["tables", r.tables, "at least one table spec is needed (see lambda-src/tables.ts)."]);
  for (const [key, spec] of Object.entries(r.tables)) {
    if (spec.hashKey.length === 0) problems.push([`tables.${key}.hashKey`, spec.hashKey, "must name the partition key attribute."]);
    if (!/^[A-Z][A-Z0-9_]*$/.test(spec.env)) problems.push([`tables.${key}.env`, spec.env, "must be an UPPER_SNAKE environment variable name."]);
  }
  throwIfProblems("ServiceTables", problems);
  return r;
}

export class ServiceTables extends pulumi.ComponentResource {
  /** Physical table name per table key. */
  public readonly tableNames: Readonly<Record<string, pulumi.Output<string>>>;
  /** Table ARN per table key. */
  public readonly tableArns: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: ServiceTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    const a = resolveServiceTablesArgs(args);
    super("shiftline:data:ServiceTables", name, {}, opts);
    const tableNames: Record<string, pulumi.Output<string>> = {};
    const tableArns: Record<string, pulumi.Output<string>> = {};
    for (const [key, spec] of Object.entries(a.tables)) {
      const table = new aws.dynamodb.Table(
        childName(name, key),
        {
          billingMode: "PAY_PER_REQUEST",
          hashKey: spec.hashKey,
          attributes: [{ name: spec.hashKey, type: "S" }],
          // Encrypted with the AWS managed key (aws/dynamodb) rather than the default AWS owned key,
          // so key use shows up in CloudTrail.
          serverSideEncryption: { enabled: true },
          pointInTimeRecovery: { enabled: a.protect },
          // Items carrying the attribute (epoch seconds) are deleted after it passes, typically
          // within two days, without using write capacity; items without it are kept
          // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html).
          ...(spec.ttlAttribute === undefined ? {} : { ttl: { attributeName: spec.ttlAttribute, enabled: true } }),
          deletionProtectionEnabled: a.protect,
        },
        { parent: this, protect: a.protect },
      );
      tableNames[key] = table.name;
      tableArns[key] = table.arn;
    }
    this.tableNames = tableNames;
    this.tableArns = tableArns;
    this.registerOutputs({ tableNames: this.tableNames, tableArns: this.tableArns });
  }
}
