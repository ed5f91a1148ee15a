/** S3 calls of artifact mode: content-addressed upload into the versioned artifact bucket. */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { callAws, errorName, type CallContext } from "./call";
import { AccessDeniedStop } from "./call";

export type HeadResult = { readonly exists: true; readonly versionId?: string } | { readonly exists: false };

export class S3Port {
  constructor(
    private readonly client: S3Client,
    private readonly ctx: CallContext,
  ) {}

  /**
   * Whether the object is already there. Without s3:ListBucket, S3 answers a missing key with
   * 403 instead of 404 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html);
   * the key is content-addressed, so uploading again is harmless and we treat 403 as "not seen".
   */
  async head(bucket: string, key: string): Promise<HeadResult> {
    try {
      const out = await callAws(this.ctx, "HeadObjectCommand", () => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
      return { exists: true, versionId: out.VersionId };
    } catch (e) {
      if (e instanceof AccessDeniedStop || errorName(e) === "NotFound" || errorName(e) === "NoSuchKey" || errorName(e) === "Forbidden") return { exists: false };
      throw e;
    }
  }

  /** Uploads with a SHA-256 checksum S3 verifies; returns the new object version. */
  async put(bucket: string, key: string, body: Uint8Array, sha256Base64: string): Promise<string | undefined> {
    const out = await callAws(this.ctx, "PutObjectCommand", () =>
      this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/zip", ChecksumSHA256: sha256Base64 })),
    );
    return out.VersionId;
  }
}
