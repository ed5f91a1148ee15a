/**
 * The artifact bucket is versioned, private and TLS-only. Each of those is its own resource
 * beside the bucket (BucketVersioning, BucketPublicAccessBlock, BucketPolicy), so this is a
 * stack policy: it sees every resource and the resources each property depends on
 * (@pulumi/policy `PolicyResource.propertyDependencies`).
 *
 * - Versioned: the function's `s3ObjectVersion` needs an object version id, and the release
 *   step's artifact mode relies on every upload being kept
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html).
 * - Private: all four public access block settings on
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
 * - TLS-only: a bucket policy statement denies requests with `aws:SecureTransport` false
 *   (https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule).
 */
import { UnknownValueError, type PolicyConfigSchema, type PolicyResource, type StackValidationPolicy } from "@pulumi/policy";
import { asList, configOf, message, statementsOf, type Statement } from "../lib";

export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VERSIONING_TYPES = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const PUBLIC_ACCESS_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";
export const PUBLIC_ACCESS_SETTINGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

interface BucketConfig {
  readonly exemptBuckets: string[];
}

const schema: PolicyConfigSchema = {
  properties: {
    exemptBuckets: {
      type: "array",
      items: { type: "string" },
      default: [],
      description: "Pulumi names of buckets this policy leaves alone (a bucket that is not an artifact bucket). Defaults to none: every bucket is checked.",
    },
  },
};

/** Reads a property, or undefined while a preview cannot know it yet. */
function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnknownValueError) return undefined;
    throw e;
  }
}

/** True when `r`'s `bucket` property points at `bucket`: by dependency, or by name when both are known. */
function belongsTo(r: PolicyResource, bucket: PolicyResource): boolean {
  if ((r.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn)) return true;
  const name = known(() => r.props.bucket as unknown);
  if (typeof name !== "string") return false;
  return known(() => bucket.props.bucket) === name || known(() => bucket.props.id) === name;
}

/** A statement that denies every S3 action to everyone when the request is not TLS. */
export function deniesInsecureTransport(s: Statement): boolean {
  const everyone = s.Principal === "*" || (typeof s.Principal === "object" && s.Principal !== null && asList((s.Principal as { AWS?: string | string[] }).AWS).includes("*"));
  const everyAction = asList(s.Action).some((a) => a === "s3:*" || a === "*");
  const insecure = s.Condition?.Bool?.["aws:SecureTransport"];
  return s.Effect === "Deny" && everyone && everyAction && (insecure === "false" || insecure === false);
}

export const artifactBucketLockedDown: StackValidationPolicy = {
  name: "artifact-bucket-versioned-private-tls",
  description: "Every S3 bucket (the artifact bucket) has versioning Enabled, a public access block with all four settings true, and a bucket policy that denies requests without TLS (aws:SecureTransport false).",
  enforcementLevel: "mandatory",
  configSchema: schema,
  validateStack: (args, reportViolation) => {
    const { exemptBuckets } = configOf<BucketConfig>(args, schema, "artifact-bucket-versioned-private-tls");
    const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type) && !exemptBuckets.includes(r.name));
    let unknown: unknown;
    for (const bucket of buckets) {
      const attached = (types: readonly string[]) => args.resources.filter((r) => types.includes(r.type) && belongsTo(r, bucket));
      const fixBucket = (what: string) => `declare an ${what} for bucket ${bucket.name} (components/artifact-bucket.ts), or list the bucket in this policy's exemptBuckets config if it is not an artifact bucket.`;

      const inlineVersioning = known(() => (bucket.props.versioning as { enabled?: unknown } | undefined)?.enabled);
      const versionings = attached(VERSIONING_TYPES);
      if (versionings.length === 0 && inlineVersioning !== true) {
        reportViolation(message(bucket, "versioning", undefined, "the bucket must be versioned: the function deploys a package by its object version.", fixBucket('aws.s3.BucketVersioning with status "Enabled"')), bucket.urn);
      }
      for (const v of versionings) {
        const status = (v.props.versioningConfiguration as { status?: unknown } | undefined)?.status;
        if (status !== "Enabled") {
          reportViolation(message(v, "versioningConfiguration.status", status, `must be "Enabled" for bucket ${bucket.name}: a suspended bucket overwrites packages in place.`, 'set versioningConfiguration: { status: "Enabled" }.'), v.urn);
        }
      }

      const blocks = attached([PUBLIC_ACCESS_TYPE]);
      if (blocks.length === 0) {
        reportViolation(message(bucket, "publicAccessBlock", undefined, "the bucket must block all public access.", fixBucket(`aws.s3.BucketPublicAccessBlock with ${PUBLIC_ACCESS_SETTINGS.join(", ")} all true`)), bucket.urn);
      }
      for (const block of blocks) {
        const off = PUBLIC_ACCESS_SETTINGS.filter((k) => block.props[k] !== true);
        if (off.length > 0) {
          reportViolation(message(block, off.join(", "), off.map((k) => block.props[k]), `must all be true for bucket ${bucket.name}: the packages are private.`, `set ${off.map((k) => `${k}: true`).join(", ")}.`), block.urn);
        }
      }

      const inlinePolicy = known(() => bucket.props.policy as unknown);
      const policies = attached([POLICY_TYPE]);
      // A new bucket's policy names its ARN, unknown in a preview: the other checks still run,
      // and the unknown is raised at the end so the SDK says this part could not run.
      const documents: unknown[] = [];
      try {
        for (const p of policies) documents.push(p.props.policy);
      } catch (e) {
        if (!(e instanceof UnknownValueError)) throw e;
        unknown ??= e;
        continue;
      }
      const tlsOnly = [...documents, ...(inlinePolicy === undefined ? [] : [inlinePolicy])].some((d) => {
        const statements = statementsOf(d);
        return typeof statements !== "string" && statements.some(deniesInsecureTransport);
      });
      if (!tlsOnly) {
        reportViolation(
          message(bucket, "policy", undefined, 'the bucket policy must deny every request without TLS: Effect Deny, Principal "*", Action "s3:*", Condition Bool aws:SecureTransport "false".', fixBucket("aws.s3.BucketPolicy with that statement (tlsOnlyPolicy)")),
          bucket.urn,
        );
      }
    }
    if (unknown !== undefined) throw unknown;
  },
};
