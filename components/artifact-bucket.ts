/**
 * ArtifactBucket: the versioned, private, TLS-only S3 bucket that holds the function packages,
 * and one content-addressed object per package (`functions/<fn>/<sha256>.zip`). Same bytes ⇒
 * same key ⇒ nothing to update; a real change ⇒ a new key and a new object version, which the
 * function's `s3ObjectVersion` picks up.
 *
 * Each package is uploaded by components/versioned-artifact.ts, which retries until S3 returns a
 * real object version and waits until S3 serves it: on a new stack, versioning was enabled
 * moments before, and S3 may still store unversioned objects or answer 404 for up to 15 minutes.
 *
 * Replaced packages stay: the upload resource never deletes an object (and is `retainOnDelete`),
 * so an old package stays in the bucket (as the current version of its own key) for inspection
 * or a re-deploy. Lambda keeps its own copy of each published version's code, so nothing running
 * depends on them. The lifecycle rule expires only noncurrent versions (a key overwritten or
 * deleted, e.g. by hand); an expiry of current versions would remove the live package.
 * https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import { requireRealObjectVersion } from "./artifact-upload";
import type { FunctionPackage } from "./build-manifest";
import { childName, throwIfProblems, type ArgProblem } from "./naming";
import { VersionedArtifact } from "./versioned-artifact";

export interface ArtifactBucketArgs {
  /** The packages to upload, from the build manifest. Required, at least one. */
  readonly packages: readonly FunctionPackage[];
  /** Days a noncurrent (overwritten or deleted) object version is kept before it expires. Defaults to 30. */
  readonly noncurrentVersionExpirationDays?: number;
  /** Let `pulumi destroy` delete the bucket with its objects and versions. Defaults to false. */
  readonly forceDestroy?: boolean;
}

export interface ResolvedArtifactBucketArgs {
  readonly packages: readonly FunctionPackage[];
  readonly noncurrentVersionExpirationDays: number;
  readonly forceDestroy: boolean;
}

/** Where one package landed: what the function's code properties point at. */
export interface ArtifactObject {
  readonly bucket: pulumi.Output<string>;
  readonly key: pulumi.Output<string>;
  /** The S3 object version written for this key (`s3ObjectVersion`); never empty or "null". */
  readonly versionId: pulumi.Output<string>;
  /** Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`. */
  readonly sha256Base64: string;
}

/** Key prefix of a function's artifacts; the release step writes under the same prefix. */
export const artifactKeyPrefix = (fn: string): string => `functions/${fn}/`;

/** Applies defaults and validates; throws listing every problem. */
export function resolveArtifactBucketArgs(args: ArtifactBucketArgs): ResolvedArtifactBucketArgs {
  const resolved = { packages: args.packages, noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays ?? 30, forceDestroy: args.forceDestroy ?? false };
  const problems: ArgProblem[] = [];
  if (resolved.packages.length === 0) problems.push(["packages", resolved.packages, "at least one package is needed; build lambda-src first."]);
  const names = resolved.packages.map((p) => p.name);
  if (new Set(names).size !== names.length) problems.push(["packages", names, "each function may appear once; rebuild so the manifest has one entry per function."]);
  for (const [i, p] of resolved.packages.entries()) {
    if (!p.key.startsWith(artifactKeyPrefix(p.name))) problems.push([`packages[${i}].key`, p.key, `must start with ${artifactKeyPrefix(p.name)}.`]);
  }
  const days = resolved.noncurrentVersionExpirationDays;
  if (!Number.isInteger(days) || days < 1) problems.push(["noncurrentVersionExpirationDays", days, "must be a whole number of days, at least 1."]);
  throwIfProblems("ArtifactBucket", problems);
  return resolved;
}

export class ArtifactBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** Uploaded package per function name. */
  public readonly objects: Readonly<Record<string, ArtifactObject>>;

  constructor(name: string, args: ArtifactBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    const a = resolveArtifactBucketArgs(args);
    super("shiftline:storage:ArtifactBucket", name, {}, opts);
    const { bucket, versioning } = this.declareBucket(name, a);
    const objects: Record<string, ArtifactObject> = {};
    // The bucket's region as the aws provider resolves it; the upload's SDK client needs it.
    const region = aws.getRegionOutput({}, { parent: this }).region;
    for (const pkg of a.packages) {
      const object = new VersionedArtifact(
        childName(name, `${pkg.name}-zip`),
        {
          // Reading the bucket through the versioning resource orders the upload after versioning
          // is on; the upload itself waits out S3's propagation of a first enabling.
          bucket: versioning.bucket,
          key: pkg.key,
          file: resolve(pkg.file),
          sha256Base64: pkg.sha256Base64,
          region,
        },
        { parent: this, retainOnDelete: true },
      );
      const where = `s3://<artifact bucket>/${pkg.key}`;
      objects[pkg.name] = { bucket: object.bucket, key: object.key, versionId: object.versionId.apply((v) => requireRealObjectVersion(v, where)), sha256Base64: pkg.sha256Base64 };
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.objects = objects;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, objects: this.objects });
  }

  /**
   * The bucket and its settings: ownership, public access block, encryption, versioning, TLS-only
   * policy, lifecycle. Each setting waits for the previous one: S3 answers concurrent
   * configuration writes on one bucket with OperationAborted ("A conflicting conditional
   * operation is currently in progress").
   */
  private declareBucket(name: string, a: ResolvedArtifactBucketArgs) {
    const bucket = new aws.s3.Bucket(childName(name, "bucket"), { forceDestroy: a.forceDestroy }, { parent: this });
    const after = (previous: pulumi.Resource): pulumi.CustomResourceOptions => ({ parent: this, dependsOn: [previous] });
    // ACLs off: every object belongs to the bucket owner, whoever uploads it (the release CLI too).
    const ownership = new aws.s3.BucketOwnershipControls(childName(name, "ownership"), { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      childName(name, "public-access"),
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      after(ownership),
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      childName(name, "encryption"),
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
      after(publicAccess),
    );
    const versioning = new aws.s3.BucketVersioning(childName(name, "versioning"), { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, after(encryption));
    const policy = new aws.s3.BucketPolicy(childName(name, "tls-only"), { bucket: bucket.id, policy: tlsOnlyPolicy(bucket.arn) }, after(versioning));
    new aws.s3.BucketLifecycleConfiguration(
      childName(name, "lifecycle"),
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-noncurrent-artifacts",
            status: "Enabled",
            filter: { prefix: "functions/" },
            noncurrentVersionExpiration: { noncurrentDays: a.noncurrentVersionExpirationDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      after(policy),
    );

    return { bucket, versioning };
  }
}

/**
 * Denies every request that does not use TLS, or uses TLS older than 1.2. The deny on `s3:*` is
 * AWS's documented pattern (https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#example-object-tls-version);
 * it grants nothing.
 */
export function tlsOnlyPolicy(bucketArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyOldTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
      },
    ],
  });
}
