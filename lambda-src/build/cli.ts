/** `npm run build [-- --out-dir <dir>]`: builds every function and prints name, sha256 and size. */
import { Command } from "commander";
import { buildFunctions, DEFAULT_OUT_DIR } from "./index";

const program = new Command()
  .name("build")
  .description("Bundle each function with esbuild into a deterministic zip and write manifest.json beside them.")
  .option("--out-dir <dir>", "where the zips and manifest.json go", DEFAULT_OUT_DIR)
  .option("--json", "print the manifest as JSON instead of a table")
  .parse();

const opts = program.opts<{ outDir: string; json?: boolean }>();
try {
  const manifest = buildFunctions({ outDir: opts.outDir });
  if (opts.json) {
    console.log(JSON.stringify(manifest, null, 2));
  } else {
    for (const fn of manifest.functions) {
      console.log(`${fn.name}  sha256 ${fn.sha256}  ${fn.size} bytes (${(fn.size / 1024).toFixed(1)} KiB)  ${fn.file}`);
    }
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
