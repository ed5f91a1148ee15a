import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unzipSync } from "fflate";
import { buildFunctions, DEFAULT_OUT_DIR, deterministicZip, portableManifest, sourceMapPath } from "../../lambda-src/build";

/** Reads each central-directory record (APPNOTE 4.3.12) of a zip. */
function centralDirectory(zip: Buffer): Array<{ name: string; dosTime: number; dosDate: number; madeBy: number; mode: number }> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const records = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    records.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      dosTime: zip.readUInt16LE(at + 12),
      dosDate: zip.readUInt16LE(at + 14),
      madeBy: zip.readUInt8(at + 5),
      mode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return records;
}

describe("lambda build", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "shiftline-build-"));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("gives byte-identical zips (same sha256) on two builds into different directories", () => {
    const first = buildFunctions({ outDir: tempDir() });
    const second = buildFunctions({ outDir: tempDir() });
    assert.deepEqual(
      first.functions.map((f) => [f.name, f.sha256, f.size]),
      second.functions.map((f) => [f.name, f.sha256, f.size]),
    );
    for (const [i, fn] of first.functions.entries()) {
      assert.deepEqual(readFileSync(fn.file), readFileSync(second.functions[i].file));
    }
  });

  it("describes each zip truthfully in the manifest and in manifest.json", () => {
    const outDir = tempDir();
    const manifest = buildFunctions({ outDir });
    assert.deepEqual(manifest.functions.map((f) => f.name), ["api"]);
    for (const fn of manifest.functions) {
      const bytes = readFileSync(fn.file);
      assert.equal(fn.file, join(outDir, `${fn.name}.zip`));
      assert.equal(fn.size, bytes.byteLength);
      assert.equal(fn.sha256, createHash("sha256").update(bytes).digest("hex"));
      assert.equal(fn.sha256Base64, createHash("sha256").update(bytes).digest("base64"));
      assert.equal(fn.key, `functions/${fn.name}/${fn.sha256}.zip`);
      assert.deepEqual([fn.handler, fn.runtime], ["index.handler", "nodejs22.x"]);
      assert.equal(fn.sourceMap.file, join(outDir, `${fn.name}.index.js.map`));
      const map = readFileSync(fn.sourceMap.file);
      assert.equal(fn.sourceMap.sha256, createHash("sha256").update(map).digest("hex"));
      assert.equal(JSON.parse(map.toString("utf8")).version, 3, "a source map (version 3)");
    }
    // The file holds the same entries with paths relative to its folder (components/build-manifest.ts).
    assert.deepEqual(JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8")), portableManifest(manifest, outDir));
  });

  it("packs a loadable index.js exporting handler, with fixed timestamps and modes, and writes its source map beside the zip", () => {
    const outDir = tempDir();
    const [fn] = buildFunctions({ outDir }).functions;
    const zip = readFileSync(fn.file);
    const records = centralDirectory(zip);
    assert.deepEqual(records.map((r) => r.name), ["index.js"]);
    for (const r of records) {
      assert.equal(r.dosDate, (0 << 9) | (1 << 5) | 1, `${r.name}: date 1980-01-01`);
      assert.equal(r.dosTime, 0, `${r.name}: time 00:00:00`);
      assert.equal(r.madeBy, 3, `${r.name}: made by unix`);
      assert.equal(r.mode, 0o100644, `${r.name}: regular file rw-r--r--`);
    }
    const source = Buffer.from(unzipSync(zip)["index.js"]).toString("utf8");
    assert.doesNotMatch(source, /sourceMappingURL/, "no pointer to a map the zip does not hold");
    const map = JSON.parse(readFileSync(sourceMapPath(outDir, fn.name), "utf8")) as { sources: string[] };
    assert.ok(map.sources.some((s) => s.endsWith("lambda-src/handler.ts")), "the map points at the handler source");
    assert.ok(map.sources.every((s) => !s.startsWith("/")), "no absolute paths leak into the map");
    const missing = map.sources.filter((s) => !existsSync(resolve(DEFAULT_OUT_DIR, s)));
    assert.deepEqual(missing, [], "every source resolves from .build, where the map is written by default");
    const mod = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", source)(mod, mod.exports, require);
    assert.equal(typeof mod.exports.handler, "function");
  });

  it("writes the same zip bytes whatever the machine's time zone", () => {
    const files = new Map([["b.txt", Buffer.from("b")], ["a.txt", Buffer.from("a")]]);
    const original = process.env.TZ;
    try {
      process.env.TZ = "Pacific/Kiritimati";
      const east = deterministicZip(files);
      process.env.TZ = "America/Los_Angeles";
      const west = deterministicZip(files);
      assert.deepEqual(Buffer.from(east), Buffer.from(west));
      assert.deepEqual(centralDirectory(Buffer.from(east)).map((r) => r.name), ["a.txt", "b.txt"]);
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    }
  });
});
