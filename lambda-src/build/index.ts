/**
 * Bundles each function in lambda-src with esbuild and packs it into a byte-for-byte
 * deterministic zip: same source ⇒ same bytes ⇒ same sha256 ⇒ same S3 key, so an
 * unchanged service never publishes a new Lambda version.
 *
 * Synchronous on purpose: the Pulumi program calls it while building its resource graph.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { buildSync, type BuildOptions } from "esbuild";
import { zipSync, type Zippable } from "fflate";
import { FUNCTION_NAMES, type FunctionName } from "../routes";

export interface BuiltFunction {
  readonly name: FunctionName;
  /** Absolute path of the zip. */
  readonly file: string;
  /** Hex sha256 of the zip bytes. */
  readonly sha256: string;
  /** Base64 sha256 of the zip bytes: what Lambda reports as `CodeSha256`. */
  readonly sha256Base64: string;
  /** Zip size in bytes. */
  readonly size: number;
  /** Content-addressed S3 key, `functions/<name>/<sha256>.zip`. */
  readonly key: string;
  /** The Lambda handler string, `index.handler`. */
  readonly handler: string;
  /** The Lambda runtime the bundle targets, `nodejs22.x`. */
  readonly runtime: string;
  /** The bundle's source map, written beside the zip (not inside it). */
  readonly sourceMap: {
    /** Absolute path. */
    readonly file: string;
    /** Hex sha256 of the map, to tell which build a stack trace belongs to. */
    readonly sha256: string;
  };
}

export interface BuildManifest {
  readonly functions: BuiltFunction[];
}

/** The manifest's file name inside the output folder. */
export const MANIFEST_FILE = "manifest.json";

export interface BuildFunctionsOptions {
  /** Where the zips and manifest.json go. Defaults to `<repo>/.build`. */
  readonly outDir?: string;
}

export const REPO_ROOT = resolve(__dirname, "..", "..");
export const DEFAULT_OUT_DIR = join(REPO_ROOT, ".build");

/** Entry module per function, relative to the repo root; each exports `handler`. */
export const FUNCTION_ENTRIES: Readonly<Record<FunctionName, string>> = {
  api: "lambda-src/handler.ts",
};

/** The Lambda handler string for every bundle: `index.js`, export `handler`. */
export const LAMBDA_HANDLER = "index.handler";

/** The Lambda runtime the bundles are built for (esbuild target node22). */
export const LAMBDA_RUNTIME = "nodejs22.x";

/** Regular file, rw-r--r--, in the upper 16 bits of the external attributes (unix "made by"). */
const FILE_ATTRS = (0o100644 << 16) >>> 0;
const MADE_BY_UNIX = 3;

/** esbuild settings shared by the build and the benchmark. */
export function esbuildOptions(name: FunctionName): BuildOptions {
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, FUNCTION_ENTRIES[name])],
    // A fixed virtual output path (nothing is written by esbuild) keeps the relative paths in
    // the source map independent of outDir, so the bytes do not depend on where they land; they
    // resolve from the default outDir, where the map is written.
    outfile: join(DEFAULT_OUT_DIR, "index.js"),
    write: false,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Prefer the ES module builds of dependencies: they tree-shake far better than the CJS ones.
    mainFields: ["module", "main"],
    // Lambda supplies credentials through environment variables only (see lambda-credentials.ts).
    alias: { "@aws-sdk/credential-provider-node": "./lambda-src/build/lambda-credentials.ts" },
    // The AWS SDK is bundled rather than taken from the Node 22 runtime: the version that runs
    // is the one package-lock.json pins and the tests exercised, the same bytes behave the same
    // after a runtime update, and one pre-linked file loads faster than the runtime's many
    // modules (measured: ~40 ms init bundled vs ~80 ms resolving @aws-sdk/* from node_modules).
    // The price is size: the source map (~110 KB zipped) would push the ~86 KB zip past its
    // 150 KB budget, so the map is written beside the zip instead of into it
    // (`external`: no sourceMappingURL comment pointing at a file Lambda would not have).
    sourcemap: "external",
    // Mappings suffice to symbolicate a stack trace; embedding every dependency's source would
    // triple the map.
    sourcesContent: false,
    legalComments: "none",
    logLevel: "silent",
  };
}

export interface FunctionBundle {
  /** The minified bundle, `index.js` in the zip. */
  readonly code: Uint8Array;
  /** Its source map (file `index.js`, sources relative to `.build/`). */
  readonly map: Uint8Array;
}

/** Bundles one function's entry into a single CommonJS file plus its source map. */
export function bundleFunction(name: FunctionName): FunctionBundle {
  const result = buildSync(esbuildOptions(name));
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed for function "${name}":\n${result.errors.map((e) => `  - ${e.text}`).join("\n")}`);
  }
  const outputs = result.outputFiles ?? [];
  const code = outputs.find((o) => o.path.endsWith("index.js"));
  const map = outputs.find((o) => o.path.endsWith("index.js.map"));
  if (!code || !map) throw new Error(`esbuild produced ${outputs.map((o) => o.path).join(", ") || "nothing"} for function "${name}"; expected index.js and index.js.map`);
  return { code: code.contents, map: map.contents };
}

/** Where the source map of a function's bundle is written: beside its zip. */
export function sourceMapPath(outDir: string, name: FunctionName): string {
  return join(resolve(outDir), `${name}.index.js.map`);
}

/** Packs files into a zip whose bytes depend only on the names and contents. */
export function deterministicZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  // Zip timestamps are DOS local time and fflate reads the Date's local fields, so the Date is
  // built from local fields at call time: 1980-01-01 00:00 (the earliest DOS date) in any time zone.
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  const entries: Zippable = {};
  for (const fileName of [...files.keys()].sort()) {
    entries[fileName] = [files.get(fileName) as Uint8Array, { mtime, attrs: FILE_ATTRS, os: MADE_BY_UNIX, level: 9 }];
  }
  return zipSync(entries);
}

/**
 * Builds every function into `<outDir>/<name>.zip` (holding `index.js`; handler `index.handler`),
 * writes each source map to `<outDir>/<name>.index.js.map` and the manifest to
 * `<outDir>/manifest.json` (paths in the file relative to it; see `portableManifest`). The
 * returned manifest holds absolute paths.
 */
export function buildFunctions(options: BuildFunctionsOptions = {}): BuildManifest {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  mkdirSync(outDir, { recursive: true });
  const functions = FUNCTION_NAMES.map((name): BuiltFunction => {
    const bundle = bundleFunction(name);
    const zip = deterministicZip(new Map([["index.js", bundle.code]]));
    const file = join(outDir, `${name}.zip`);
    writeFileSync(file, zip);
    const mapFile = sourceMapPath(outDir, name);
    writeFileSync(mapFile, bundle.map);
    const digest = createHash("sha256").update(zip).digest();
    const sha256 = digest.toString("hex");
    return {
      name,
      file,
      sha256,
      sha256Base64: digest.toString("base64"),
      size: zip.byteLength,
      key: `functions/${name}/${sha256}.zip`,
      handler: LAMBDA_HANDLER,
      runtime: LAMBDA_RUNTIME,
      sourceMap: { file: mapFile, sha256: createHash("sha256").update(bundle.map).digest("hex") },
    };
  });
  const manifest: BuildManifest = { functions };
  writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(portableManifest(manifest, outDir), null, 2)}\n`);
  return manifest;
}

/**
 * The manifest as written to manifest.json: every path relative to the manifest's own folder,
 * with forward slashes, so the folder can be moved or carried to another machine (a CI
 * artifact built in one job and deployed from another) and still be read
 * (components/build-manifest.ts resolves the paths against the manifest's folder).
 */
export function portableManifest(manifest: BuildManifest, outDir: string): unknown {
  const portable = (file: string) => relative(resolve(outDir), file).split(sep).join("/");
  return {
    functions: manifest.functions.map((fn) => ({ ...fn, file: portable(fn.file), sourceMap: { ...fn.sourceMap, file: portable(fn.sourceMap.file) } })),
  };
}
