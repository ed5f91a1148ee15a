/**
 * Artifact mode, for stacks whose code is deployed by the release step rather than by
 * `pulumi up` (codeDeployment: release): upload the zip content-addressed, point $LATEST at
 * it, wait for the update to finish, and publish a version pinned to that code.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AwsPorts } from "../aws/clients";
import type { CodeUpdateWait } from "../aws/lambda";
import { badInput, EXIT, gateFailed, ReleaseStop } from "../core/outcome";
import type { Progress } from "./report";

export interface ArtifactRequest {
  readonly file: string;
  readonly functionName: string;
  readonly bucket: string;
  /** e.g. functions/api/ — the object key is `<prefix><sha256 hex>.zip`. */
  readonly keyPrefix: string;
  readonly wait: CodeUpdateWait;
}

export interface ArtifactResult {
  readonly key: string;
  readonly objectVersion?: string;
  readonly uploaded: boolean;
  /** The version PublishVersion returned. */
  readonly version: string;
  /** false when AWS returned an existing version: this exact code was already published. */
  readonly created: boolean;
}

export function readArtifact(file: string): { body: Buffer; sha256Hex: string; sha256Base64: string } {
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    throw badInput(`--artifact = ${JSON.stringify(file)}: cannot read it (${(e as Error).message}); give the path of the function's zip, e.g. .build/api.zip from 'npm run build'.`);
  }
  // Every zip starts with a local file header "PK\x03\x04".
  if (body.length < 4 || body.readUInt32LE(0) !== 0x04034b50) throw badInput(`--artifact = ${JSON.stringify(file)}: not a zip file; give the zip built by 'npm run build'.`);
  const digest = createHash("sha256").update(body).digest();
  return { body, sha256Hex: digest.toString("hex"), sha256Base64: digest.toString("base64") };
}

export async function deployArtifact(req: ArtifactRequest, aws: AwsPorts, progress: Progress): Promise<ArtifactResult> {
  const { body, sha256Hex, sha256Base64 } = readArtifact(req.file);
  const key = `${req.keyPrefix}${sha256Hex}.zip`;
  const head = await aws.s3.head(req.bucket, key);
  const objectVersion = head.exists ? head.versionId : await aws.s3.put(req.bucket, key, body, sha256Base64);
  progress.line(`artifact: s3://${req.bucket}/${key}${objectVersion !== undefined ? ` (version ${objectVersion})` : ""} ${head.exists ? "already uploaded" : "uploaded"}`);

  const before = await aws.lambda.latestPublishedVersion(req.functionName);
  const latest = await aws.lambda.getVersion(req.functionName, "$LATEST");
  const revision = await aws.lambda.updateCode(req.functionName, { bucket: req.bucket, key, objectVersion, revisionId: latest?.revisionId });
  progress.line(`code update started; waiting for LastUpdateStatus=Successful (at most ${req.wait.maxWaitSeconds}s)`);
  const done = await aws.lambda.waitForCodeUpdate(req.functionName, req.wait);
  switch (done.status) {
    case "Aborted":
      throw new ReleaseStop("interrupted", EXIT.interrupted, "interrupted while waiting for the code update; no traffic was moved.");
    case "Failed":
      throw gateFailed(`code update of ${req.functionName} failed: ${done.reason}. Nothing was published and no traffic moved.`);
    case "TimedOut":
      throw gateFailed(
        `code update of ${req.functionName} still ${done.lastStatus} after ${req.wait.maxWaitSeconds}s (${done.reason}); nothing was published and no traffic moved. Rerun once it has finished (same artifact, same key).`,
      );
  }
  // CodeSha256 makes AWS refuse to publish if $LATEST no longer holds our zip (someone else deployed meanwhile).
  const published = await aws.lambda.publishVersion(req.functionName, sha256Base64, done.revisionId ?? revision, `artifact ${sha256Hex.slice(0, 12)}`);
  const created = Number(published.version) > before;
  progress.line(created ? `published version ${published.version}` : `no new version: this code is already version ${published.version}`);
  return { key, objectVersion, uploaded: !head.exists, version: published.version, created };
}
