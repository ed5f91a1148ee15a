/**
 * AWS reads and deletions of `prune`: the function's aliases and versions, the artifact objects,
 * and deleting one version or one artifact. The deletions are prune-only commands
 * (PRUNE_ONLY_COMMANDS in release/aws/actions.ts): the deployer role is never granted them.
 */
import { DeleteFunctionCommand, ListAliasesCommand, ListVersionsByFunctionCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { callAws, errorName, type CallContext } from "./call";

/** One alias: its primary version and every version it routes a weight to (0.0 included). */
export interface AliasRef {
  readonly name: string;
  readonly functionVersion: string;
  readonly weighted: readonly string[];
}

export interface PublishedVersion {
  /** "$LATEST" or a number. */
  readonly version: string;
  /** Base64 SHA-256 of the deployment package, as Lambda reports it. */
  readonly codeSha256?: string;
  readonly codeSize?: number;
  readonly lastModified?: string;
}

export interface ArtifactObject {
  readonly key: string;
  readonly size: number;
}

export type DeleteVersionResult =
  | { readonly kind: "deleted" }
  /** Lambda refused: an alias references the version (or another operation holds it). Kept. */
  | { readonly kind: "refused"; readonly reason: string }
  /** Already gone (someone else deleted it). */
  | { readonly kind: "not-found" };

export class InventoryPort {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly s3: S3Client,
    private readonly ctx: CallContext,
  ) {}

  /** Every alias of the function (https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html). */
  async aliases(functionName: string): Promise<AliasRef[]> {
    const found: AliasRef[] = [];
    let marker: string | undefined;
    do {
      const page = await callAws(this.ctx, "ListAliasesCommand", () => this.lambda.send(new ListAliasesCommand({ FunctionName: functionName, Marker: marker, MaxItems: 50 })));
      for (const a of page.Aliases ?? []) {
        found.push({ name: a.Name ?? "", functionVersion: a.FunctionVersion ?? "", weighted: Object.keys(a.RoutingConfig?.AdditionalVersionWeights ?? {}) });
      }
      marker = page.NextMarker;
    } while (marker !== undefined);
    return found;
  }

  /** $LATEST and every published version, with its code hash and size. */
  async versions(functionName: string): Promise<PublishedVersion[]> {
    const found: PublishedVersion[] = [];
    let marker: string | undefined;
    do {
      const page = await callAws(this.ctx, "ListVersionsByFunctionCommand", () =>
        this.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker, MaxItems: 50 })),
      );
      for (const v of page.Versions ?? []) {
        if (v.Version !== undefined) found.push({ version: v.Version, codeSha256: v.CodeSha256, codeSize: v.CodeSize, lastModified: v.LastModified });
      }
      marker = page.NextMarker;
    } while (marker !== undefined);
    return found;
  }

  /**
   * Deletes one numbered version. Lambda refuses to delete a version an alias references
   * ("Qualifier: … You can't delete a version that an alias references",
   * https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html) with
   * ResourceConflictException (HTTP 409, "Unable to delete version because the following aliases
   * reference it: [live]", as reported in cloud-custodian/cloud-custodian#6739 and
   * karl-cardenas-coding/go-lambda-cleanup#45). That answer, like any other 409, means "keep":
   * it is reported, never forced past.
   */
  async deleteVersion(functionName: string, version: string): Promise<DeleteVersionResult> {
    if (!/^[1-9]\d*$/.test(version)) throw new Error(`refusing to delete ${JSON.stringify(version)}: only numbered versions are deleted`);
    try {
      await callAws(this.ctx, "DeleteFunctionCommand", () => this.lambda.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: version })));
      return { kind: "deleted" };
    } catch (e) {
      if (errorName(e) === "ResourceConflictException") return { kind: "refused", reason: (e as Error).message };
      if (errorName(e) === "ResourceNotFoundException") return { kind: "not-found" };
      throw e;
    }
  }

  /** Objects under the prefix, with their sizes (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). */
  async artifacts(bucket: string, prefix: string): Promise<ArtifactObject[]> {
    const found: ArtifactObject[] = [];
    let token: string | undefined;
    do {
      const page = await callAws(this.ctx, "ListObjectsV2Command", () => this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })));
      for (const o of page.Contents ?? []) if (o.Key !== undefined) found.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found;
  }

  /**
   * Deletes the current object version. The artifact bucket is versioned, so S3 adds a delete
   * marker and keeps the data as a noncurrent version, which the bucket's lifecycle rule
   * expires (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html);
   * until then it can be restored by deleting the marker.
   */
  async deleteArtifact(bucket: string, key: string): Promise<void> {
    await callAws(this.ctx, "DeleteObjectCommand", () => this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }
}
