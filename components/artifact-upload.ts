/**
 * Uploading one function package so that it has a real S3 object version that S3 serves.
 *
 * A new stack enables versioning on its bucket and uploads the package in the same update, and
 * S3 documents that "after enabling versioning on a bucket for the first time, it may take up to
 * 15 minutes for the change to fully propagate": until then a PUT may create an unversioned
 * object (version id "null") and a GET of an object written after enabling versioning may answer
 * 404 NoSuchKey (https://docs.aws.amazon.com/AmazonS3/latest/userguide/manage-versioning-examples.html,
 * and PutBucketVersioning: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html).
 * A function created from such an object would record `s3ObjectVersion: "null"` or fail to read
 * its code. So the upload is repeated until S3 answers with a real VersionId (bounded, by default
 * at those 15 minutes, reporting each try), and then waits with the SDK's waitUntilObjectExists
 * (HeadObject of that very version) until S3 serves it.
 *
 * Runs inside the Pulumi dynamic provider of components/versioned-artifact.ts, so it keeps to
 * plain functions, imported SDK modules and its arguments (the provider is serialised as a closure).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { PutObjectCommand, waitUntilObjectExists, type S3Client } from "@aws-sdk/client-s3";

export const VERSIONING_PROPAGATION_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/manage-versioning-examples.html";

/** Time as the upload sees it; tests move it on instantly. */
export interface UploadClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: UploadClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Waits until S3 serves `VersionId` of `Key`; throws if it does not within `maxWaitSeconds`. */
export type VersionReadableWaiter = (client: S3Client, object: { Bucket: string; Key: string; VersionId: string }, maxWaitSeconds: number) => Promise<void>;

/**
 * The SDK's waiter: HeadObject with the VersionId until it answers 200 (it retries NotFound).
 * https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-client-s3/Function/waitUntilObjectExists/
 */
export const sdkVersionReadable: VersionReadableWaiter = async (client, object, maxWaitSeconds) => {
  await waitUntilObjectExists({ client, maxWaitTime: Math.max(1, Math.floor(maxWaitSeconds)), minDelay: 2, maxDelay: 20 }, object);
};

export interface ArtifactUploadRequest {
  readonly bucket: string;
  readonly key: string;
  /** Local path of the zip. */
  readonly file: string;
  /** Base64 SHA-256 of the zip; checked locally and sent as ChecksumSHA256, which S3 verifies. */
  readonly sha256Base64: string;
}

export interface ArtifactUploadOptions {
  readonly clock?: UploadClock;
  /** Progress lines (the dynamic provider writes them to stderr, which `pulumi up` shows). */
  readonly log?: (line: string) => void;
  /** How long to keep trying, uploads and the readability wait together. Defaults to 15 minutes. */
  readonly deadlineMs?: number;
  /** Pause between uploads that came back without a version. Defaults to 15 s. */
  readonly retryDelayMs?: number;
  readonly waitReadable?: VersionReadableWaiter;
}

export const DEFAULT_UPLOAD_DEADLINE_MS = 15 * 60_000;
export const DEFAULT_RETRY_DELAY_MS = 15_000;

/** A version id Lambda can be pointed at: present, not empty, not the unversioned "null". */
export function isRealObjectVersion(versionId: unknown): versionId is string {
  return typeof versionId === "string" && versionId.trim() !== "" && versionId !== "null";
}

/** Throws unless `versionId` is a real object version of `bucket`/`key`. */
export function requireRealObjectVersion(versionId: unknown, where: string): string {
  if (isRealObjectVersion(versionId)) return versionId;
  throw new Error(
    `s3ObjectVersion = ${JSON.stringify(versionId ?? null)} for ${where}: the function's code must name a real S3 object version ` +
      `(not empty, not "null", which S3 gives objects written while versioning is off or still being enabled, ${VERSIONING_PROPAGATION_DOC}); ` +
      "run pulumi up again so the package is uploaded into the versioned bucket.",
  );
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * PutObject until S3 returns a real VersionId, then wait until that version is served. Returns
 * the version id. Throws, naming the object and the fix, when the deadline passes first.
 */
export async function uploadVersionedArtifact(client: S3Client, req: ArtifactUploadRequest, options: ArtifactUploadOptions = {}): Promise<string> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => undefined);
  const deadlineMs = options.deadlineMs ?? DEFAULT_UPLOAD_DEADLINE_MS;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const waitReadable = options.waitReadable ?? sdkVersionReadable;
  const where = `s3://${req.bucket}/${req.key}`;

  const body = readFileSync(req.file);
  const actual = createHash("sha256").update(body).digest("base64");
  if (actual !== req.sha256Base64) {
    throw new Error(`file = ${req.file}: its sha256 is ${actual}, not the ${req.sha256Base64} the build manifest records; rebuild (npm run build) so the manifest and the zip agree.`);
  }

  const started = clock.now();
  let versionId: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const out = await client.send(new PutObjectCommand({ Bucket: req.bucket, Key: req.key, Body: body, ContentType: "application/zip", ChecksumSHA256: req.sha256Base64 }));
    if (isRealObjectVersion(out.VersionId)) {
      versionId = out.VersionId;
      break;
    }
    const elapsed = clock.now() - started;
    if (elapsed + retryDelayMs > deadlineMs) {
      throw new Error(
        `${where}: after ${attempt} uploads over ${seconds(elapsed)} S3 still stores the package without a version id (VersionId ${JSON.stringify(out.VersionId ?? null)}). ` +
          `Versioning is Enabled on the bucket but has not reached every S3 front end yet, which S3 says can take up to 15 minutes (${VERSIONING_PROPAGATION_DOC}), ` +
          "or it was suspended; check `aws s3api get-bucket-versioning`, then run pulumi up again.",
      );
    }
    log(
      `${where}: upload ${attempt} came back without a version id (VersionId ${JSON.stringify(out.VersionId ?? null)}): the bucket's versioning is still propagating ` +
        `(up to 15 minutes after it is first enabled, ${VERSIONING_PROPAGATION_DOC}); uploading again in ${seconds(retryDelayMs)} (${seconds(elapsed)} of ${seconds(deadlineMs)} used).`,
    );
    await clock.sleep(retryDelayMs);
  }

  const remainingMs = Math.max(60_000, deadlineMs - (clock.now() - started));
  log(`${where}: stored as version ${versionId}; waiting up to ${seconds(remainingMs)} until S3 serves it (new objects may answer 404 while versioning propagates).`);
  try {
    await waitReadable(client, { Bucket: req.bucket, Key: req.key, VersionId: versionId }, remainingMs / 1000);
  } catch (e) {
    const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(
      `${where}: version ${versionId} was stored but S3 did not serve it within ${seconds(remainingMs)} (${reason}); ` +
        `S3 can answer 404 for new objects for up to 15 minutes after versioning is first enabled (${VERSIONING_PROPAGATION_DOC}). Run pulumi up again.`,
    );
  }
  return versionId;
}
