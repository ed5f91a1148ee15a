/**
 * The function packages the program deploys: built from lambda-src during `pulumi up`
 * (synchronously, so no separate build step is needed), or read from a manifest written
 * earlier by `npm run build` when `shiftline:artifactManifest` is set. Either way the
 * manifest is validated, and every zip checked against its recorded size and sha256, before
 * any resource is declared.
 *
 * A manifest file is portable: it names its zips relative to its own folder, and they are
 * resolved against that folder here, so a folder built on one machine (the CI build job)
 * deploys unchanged from another (the deploy job that downloaded it as a workflow artifact).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, posix, resolve, win32 } from "node:path";
import { z } from "zod";
import { parseOrThrow, renderValue, ValidationError, type Problem } from "../lib/validation";
import type { BuildManifest } from "../lambda-src/build";

const hex64 = (field: string) => z.string().regex(/^[0-9a-f]{64}$/, { error: `${field} must be 64 lowercase hex digits.` });

const packageSchema = z
  .object({
    name: z.string().regex(/^[\w-]+$/, { error: "name must be a function name such as api." }),
    file: z.string().min(1, { error: "file must be the zip's path relative to the manifest's folder, e.g. api.zip." }),
    sha256: hex64("sha256"),
    sha256Base64: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, { error: "sha256Base64 must be a base64 SHA-256 digest (44 characters)." }),
    size: z.number().int().positive({ error: "size must be the zip's size in bytes." }),
    key: z.string().regex(/^functions\/[\w-]+\/[0-9a-f]{64}\.zip$/, { error: "key must be functions/<fn>/<sha256>.zip." }),
    /** The bundle's source map (not deployed; kept beside the zip to read stack traces). */
    sourceMap: z.object({ file: z.string().min(1, { error: "sourceMap.file must be the map's path relative to the manifest's folder." }), sha256: hex64("sourceMap.sha256") }).optional(),
  })
  .refine((p) => p.key === `functions/${p.name}/${p.sha256}.zip`, { error: "key must be functions/<name>/<sha256>.zip for this package; rebuild with npm run build." });

export const buildManifestSchema = z.object({ functions: z.array(packageSchema).min(1, { error: "the manifest lists no functions; rebuild with npm run build." }) });

/** One package as the program uses it; `file` (and `sourceMap.file`) are absolute. */
export type FunctionPackage = z.output<typeof packageSchema>;

export interface ManifestSource {
  /** Path of a manifest.json from `npm run build` (relative paths resolve against the working directory); when absent, `build` runs. */
  readonly manifestPath?: string;
  /** Builds every function and returns the manifest (lambda-src/build `buildFunctions`). */
  readonly build: () => BuildManifest;
}

const HOW_TO_BUILD = "run `npm run build` (writes .build/manifest.json) and `pulumi config set shiftline:artifactManifest .build/manifest.json`, or unset artifactManifest to build during `pulumi up`";

/**
 * Why `file` cannot be used, or undefined when it is a path inside the manifest's folder.
 * Both path flavours are checked so a manifest written on Windows is judged the same on Linux.
 */
function portablePathProblem(file: string): string | undefined {
  if (isAbsolute(file) || posix.isAbsolute(file) || win32.isAbsolute(file)) {
    return "is an absolute path, which only exists on the machine that built it; a manifest names its files relative to its own folder (e.g. api.zip): rebuild with `npm run build`, which writes relative paths.";
  }
  if (file.split(/[\\/]/).includes("..")) {
    return "leaves the manifest's folder (..); keep the zips and source maps beside manifest.json, as `npm run build` writes them, and rebuild.";
  }
  return undefined;
}

/** Resolves each package's relative paths against `dir`, refusing absolute or escaping ones. */
function locate(packages: readonly FunctionPackage[], dir: string, subject: string): FunctionPackage[] {
  const problems: Problem[] = [];
  const located = packages.map((p, i) => {
    const check = (field: string, file: string) => {
      const why = portablePathProblem(file);
      if (why !== undefined) problems.push({ field: `functions[${i}].${field}`, value: renderValue(file), message: why });
      return resolve(dir, file);
    };
    const file = check("file", p.file);
    const sourceMap = p.sourceMap === undefined ? undefined : { ...p.sourceMap, file: check("sourceMap.file", p.sourceMap.file) };
    return { ...p, file, ...(sourceMap === undefined ? {} : { sourceMap }) };
  });
  if (problems.length > 0) throw new ValidationError(subject, problems);
  return located;
}

/** Refuses zips that are missing or differ from what the manifest recorded (size, sha256). */
function verifyZips(packages: readonly FunctionPackage[], subject: string): void {
  const missing = packages.filter((p) => !existsSync(p.file));
  if (missing.length > 0) throw new Error(`${subject} lists zips that do not exist (${missing.map((p) => p.file).join(", ")}): ${HOW_TO_BUILD}.`);
  const problems: Problem[] = [];
  packages.forEach((p, i) => {
    const bytes = readFileSync(p.file);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (bytes.byteLength !== p.size || sha256 !== p.sha256) {
      problems.push({
        field: `functions[${i}].file`,
        value: renderValue(p.file),
        message: `holds ${bytes.byteLength} bytes with sha256 ${sha256}, but the manifest recorded ${p.size} bytes with sha256 ${p.sha256}: the zip changed after the build. Rebuild with \`npm run build\` (or download the build artifact again) so the bytes deployed are the bytes that were built.`,
      });
    }
  });
  if (problems.length > 0) throw new ValidationError(subject, problems);
}

/** Returns the validated packages, building them first unless a manifest path is given. */
export function loadFunctionPackages(source: ManifestSource): FunctionPackage[] {
  let packages: FunctionPackage[];
  let subject: string;
  if (source.manifestPath !== undefined) {
    const path = resolve(source.manifestPath);
    subject = `build manifest ${path}`;
    if (!existsSync(path)) throw new Error(`${subject} does not exist: ${HOW_TO_BUILD}.`);
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`${subject} is not JSON (${err instanceof Error ? err.message : String(err)}): ${HOW_TO_BUILD}.`);
    }
    packages = locate(parseOrThrow(buildManifestSchema, manifest, subject).functions, dirname(path), subject);
  } else {
    subject = "build of lambda-src";
    let manifest: BuildManifest;
    try {
      manifest = source.build();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Building the function packages from lambda-src failed, so nothing was deployed:\n${reason}\nFix the error above (try \`npm run build\` to reproduce it), or ${HOW_TO_BUILD}.`);
    }
    // An in-process build returns absolute paths (lambda-src/build BuiltFunction.file).
    packages = parseOrThrow(buildManifestSchema, manifest, subject).functions;
    const relative = packages.filter((p) => !isAbsolute(p.file));
    if (relative.length > 0) throw new Error(`${subject} returned relative zip paths (${relative.map((p) => p.file).join(", ")}); buildFunctions must return absolute paths.`);
  }
  verifyZips(packages, subject);
  return packages;
}

/** The package of function `name`, or an error naming the functions that were built. */
export function packageFor(packages: readonly FunctionPackage[], name: string): FunctionPackage {
  const found = packages.find((p) => p.name === name);
  if (found === undefined) throw new Error(`no package was built for function ${name} (built: ${packages.map((p) => p.name).join(", ")}); check FUNCTION_NAMES in lambda-src/routes.ts.`);
  return found;
}
