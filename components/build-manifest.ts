/**
 * The function packages the program deploys: built from lambda-src during `pulumi up`
 * (synchronously, so no separate build step is needed), or read from a manifest written
 * earlier by `npm run build` when `shiftline:artifactManifest` is set. Either way the
 * manifest is validated before any resource is declared.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { parseOrThrow } from "../lib/validation";
import type { BuildManifest } from "../lambda-src/build";

const packageSchema = z
  .object({
    name: z.string().regex(/^[\w-]+$/, { error: "name must be a function name such as api." }),
    file: z.string().min(1, { error: "file must be the zip's absolute path." }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "sha256 must be 64 lowercase hex digits." }),
    sha256Base64: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, { error: "sha256Base64 must be a base64 SHA-256 digest (44 characters)." }),
    size: z.number().int().positive({ error: "size must be the zip's size in bytes." }),
    key: z.string().regex(/^functions\/[\w-]+\/[0-9a-f]{64}\.zip$/, { error: "key must be functions/<fn>/<sha256>.zip." }),
  })
  .refine((p) => p.key === `functions/${p.name}/${p.sha256}.zip`, { error: "key must be functions/<name>/<sha256>.zip for this package; rebuild with npm run build." });

export const buildManifestSchema = z.object({ functions: z.array(packageSchema).min(1, { error: "the manifest lists no functions; rebuild with npm run build." }) });

export type FunctionPackage = z.output<typeof packageSchema>;

export interface ManifestSource {
  /** Path of a manifest.json from `npm run build`; when absent, `build` runs. */
  readonly manifestPath?: string;
  /** Builds every function and returns the manifest (lambda-src/build `buildFunctions`). */
  readonly build: () => BuildManifest;
}

const HOW_TO_BUILD = "run `npm run build` (writes .build/manifest.json) and `pulumi config set shiftline:artifactManifest .build/manifest.json`, or unset artifactManifest to build during `pulumi up`";

/** Returns the validated packages, building them first unless a manifest path is given. */
export function loadFunctionPackages(source: ManifestSource): FunctionPackage[] {
  let manifest: unknown;
  let subject: string;
  if (source.manifestPath !== undefined) {
    const path = resolve(source.manifestPath);
    subject = `build manifest ${path}`;
    if (!existsSync(path)) throw new Error(`${subject} does not exist: ${HOW_TO_BUILD}.`);
    manifest = JSON.parse(readFileSync(path, "utf8"));
  } else {
    subject = "build of lambda-src";
    try {
      manifest = source.build();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Building the function packages from lambda-src failed, so nothing was deployed:\n${reason}\nFix the error above (try \`npm run build\` to reproduce it), or ${HOW_TO_BUILD}.`);
    }
  }
  const packages = parseOrThrow(buildManifestSchema, manifest, subject).functions;
  const missing = packages.filter((p) => !existsSync(p.file));
  if (missing.length > 0) throw new Error(`${subject} lists zips that do not exist (${missing.map((p) => p.file).join(", ")}): ${HOW_TO_BUILD}.`);
  return packages;
}

/** The package of function `name`, or an error naming the functions that were built. */
export function packageFor(packages: readonly FunctionPackage[], name: string): FunctionPackage {
  const found = packages.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no package was built for function ${name} (built: ${packages.map((p) => p.name).join(", ")}); check FUNCTION_NAMES in lambda-src/routes.ts.`);
  return found;
}
