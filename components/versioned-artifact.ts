/**
 * VersionedArtifact: one package uploaded into the versioned artifact bucket by a Pulumi dynamic
 * provider (https://www.pulumi.com/docs/iac/concepts/providers/dynamic-providers/), so that its
 * `versionId` output is always a real S3 object version that S3 already serves
 * (components/artifact-upload.ts says why a plain aws.s3.BucketObjectv2 cannot promise that on
 * a new stack). A dynamic provider runs inside @pulumi/pulumi; no provider plugin is downloaded.
 *
 * - Identity is (bucket, key, sha256): a change of any replaces the resource, i.e. uploads the new
 *   package; the file path and region may change freely (another checkout, another machine).
 * - Replaced or removed packages stay in the bucket (`delete` removes nothing), as the release
 *   step and a re-deploy may still want them; Lambda keeps its own copy of published code.
 * - The upload uses the AWS SDK's default credential chain in the environment `pulumi up` runs in
 *   (the dynamic provider process inherits it) and the region of the stack's aws provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { S3Client } from "@aws-sdk/client-s3";
import { requireRealObjectVersion, uploadVersionedArtifact } from "./artifact-upload";

export interface VersionedArtifactArgs {
  /** Bucket to upload into (versioning Enabled). Required. */
  readonly bucket: pulumi.Input<string>;
  /** Object key, content-addressed: functions/<fn>/<sha256>.zip. Required. */
  readonly key: pulumi.Input<string>;
  /** Local path of the zip. Required. */
  readonly file: pulumi.Input<string>;
  /** Base64 SHA-256 of the zip. Required. */
  readonly sha256Base64: pulumi.Input<string>;
  /** Region of the bucket. Required. */
  readonly region: pulumi.Input<string>;
}

/** The inputs as the provider receives them. */
export interface VersionedArtifactInputs {
  readonly bucket: string;
  readonly key: string;
  readonly file: string;
  readonly sha256Base64: string;
  readonly region: string;
}

/** Properties whose change means another object: replace (upload anew). */
export const VERSIONED_ARTIFACT_IDENTITY = ["bucket", "key", "sha256Base64"] as const;

/** Check failures for the provider's `check`, each naming the property, value, rule and fix. */
export function versionedArtifactFailures(news: Record<string, unknown>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const text = (property: string, rule: string) => {
    const v = news[property];
    if (typeof v !== "string" || v.trim() === "") failures.push({ property, reason: `${property} = ${JSON.stringify(v ?? null)}: ${rule}` });
  };
  text("bucket", "the artifact bucket's name is required.");
  text("key", "the object key is required, e.g. functions/api/<sha256>.zip.");
  text("file", "the local path of the built zip is required; run npm run build.");
  text("region", "the bucket's region is required (aws:region).");
  const sha = news.sha256Base64;
  if (typeof sha !== "string" || !/^[A-Za-z0-9+/]{43}=$/.test(sha)) {
    failures.push({ property: "sha256Base64", reason: `sha256Base64 = ${JSON.stringify(sha ?? null)}: must be the base64 SHA-256 of the zip (44 characters ending in =), as the build manifest records it.` });
  }
  return failures;
}

export const versionedArtifactProvider: pulumi.dynamic.ResourceProvider<VersionedArtifactInputs> = {
  async check(_olds, news) {
    const failures = versionedArtifactFailures(news as unknown as Record<string, unknown>);
    return failures.length > 0 ? { failures } : { inputs: news };
  },

  async diff(_id, olds: Record<string, unknown>, news: VersionedArtifactInputs) {
    const replaces = VERSIONED_ARTIFACT_IDENTITY.filter((p) => olds[p] !== news[p]);
    // Same object: nothing to do, even if the zip now lies at another path.
    return { changes: replaces.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
  },

  async create(inputs) {
    const client = new S3Client({ region: inputs.region });
    const where = `s3://${inputs.bucket}/${inputs.key}`;
    // Progress goes to stderr: the engine shows a dynamic provider's stderr as diagnostics
    // (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go, newPlugin: runtrace → Infoerrf).
    const versionId = await uploadVersionedArtifact(client, inputs, { log: (line) => console.error(line) });
    return { id: `${where}?versionId=${versionId}`, outs: { ...inputs, versionId: requireRealObjectVersion(versionId, where) } };
  },

  // Packages are kept: the release step and a re-deploy may point at them (see the file comment).
  async delete() {
    return;
  },
};

export class VersionedArtifact extends pulumi.dynamic.Resource {
  declare public readonly bucket: pulumi.Output<string>;
  declare public readonly key: pulumi.Output<string>;
  /** The real S3 object version of the upload, never empty or "null". */
  declare public readonly versionId: pulumi.Output<string>;

  constructor(name: string, args: VersionedArtifactArgs, opts?: pulumi.CustomResourceOptions) {
    super(versionedArtifactProvider, name, { ...args, versionId: undefined }, opts, "shiftline", "VersionedArtifact");
  }
}
