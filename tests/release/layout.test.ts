/**
 * The floor plan of release/: wings by concern, imports one way between them, no import circle,
 * small folders and files. The wings and what each may import are stated once, here; each wing's
 * main file says the same in its first line, and docs/code-map.md draws it.
 */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");
const RELEASE = path.join(ROOT, "release");

/** Wing → the wings it may import (besides itself). Nothing may import cli. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  cli: ["ops", "probe", "engine", "inputs", "stage-check", "aws", "core"],
  ops: ["evidence", "aws", "core"],
  probe: ["engine", "core"],
  engine: ["inputs", "stage-check", "evidence", "judge", "aws", "core"],
  inputs: ["judge", "core"],
  "stage-check": ["core"],
  evidence: ["judge", "aws", "core"],
  judge: ["core"],
  aws: ["core"],
  core: [],
};
const MAX_FILES_PER_FOLDER = 12;
const MAX_LINES = 400;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : name.endsWith(".ts") ? [full] : [];
  });
}

function foldersUnder(dir: string): string[] {
  return [dir, ...readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? foldersUnder(path.join(dir, n)) : []))];
}

/** The release/ files a file imports (import, export … from, import(), require()), resolved as Node and ts-node resolve them. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => {
      const base = path.resolve(path.dirname(file), spec);
      const found = [base, `${base}.ts`, path.join(base, "index.ts")].find((c) => existsSync(c) && statSync(c).isFile());
      assert.ok(found, `${path.relative(ROOT, file)} imports ${spec}, which does not resolve to a file`);
      return found;
    })
    .filter((f) => f.startsWith(RELEASE + path.sep));
}

const wingOf = (file: string) => path.relative(RELEASE, file).split(path.sep)[0];
const rel = (file: string) => path.relative(ROOT, file);

/** One import circle, as a list of files, or undefined. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.get(node) !== undefined) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

describe("release/ floor plan", () => {
  const files = filesUnder(RELEASE);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it("finds a circle when there is one, and none in a chain (the check itself)", () => {
    assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), ["a", "b", "c", "a"]);
    assert.equal(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]])), undefined);
  });

  it("has no import circle anywhere in release/", () => {
    const cycle = findCycle(graph);
    assert.equal(cycle?.map(rel).join(" → "), undefined, "an import circle: move the shared types to the lowest file both can import");
  });

  it("puts every file in a wing, and imports between wings only one way", () => {
    const wrong: string[] = [];
    for (const [file, imported] of graph) {
      const from = wingOf(file);
      if (!(from in MAY_IMPORT)) wrong.push(`${rel(file)} is in no wing: move it into one of ${Object.keys(MAY_IMPORT).join(", ")}`);
      for (const target of imported) {
        const to = wingOf(target);
        if (to !== from && !(MAY_IMPORT[from] ?? []).includes(to)) wrong.push(`${rel(file)} imports ${rel(target)}: ${from}/ may import only ${(MAY_IMPORT[from] ?? []).join(", ") || "nothing"}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("lets nothing import cli/, and keeps the wings' own rule free of circles", () => {
    assert.ok(Object.entries(MAY_IMPORT).every(([, to]) => !to.includes("cli")));
    assert.equal(findCycle(new Map(Object.entries(MAY_IMPORT))), undefined);
  });

  it("has each wing's folder, with a main file whose first line says what it holds and what it may import", () => {
    for (const [wing, allowed] of Object.entries(MAY_IMPORT)) {
      const dir = path.join(RELEASE, wing);
      assert.ok(existsSync(dir), `release/${wing}/ is missing`);
      const headers = readdirSync(dir)
        .filter((n) => n.endsWith(".ts"))
        .map((n) => ({ n, first: readFileSync(path.join(dir, n), "utf8").split("\n")[0] }))
        .filter(({ first }) => first.startsWith(`// Wing ${wing}/:`));
      assert.equal(headers.length, 1, `release/${wing}/ needs exactly one main file starting "// Wing ${wing}/: …"; found ${headers.map((h) => h.n).join(", ") || "none"}`);
      const said = /May import: (.*)\.$/.exec(headers[0].first)?.[1];
      assert.equal(said, allowed.length === 0 ? "nothing" : allowed.join(", "), `release/${wing}/${headers[0].n}'s first line must end "May import: ${allowed.join(", ") || "nothing"}."`);
    }
  });

  it(`holds no more than ${MAX_FILES_PER_FOLDER} files directly in any folder, and no file over ${MAX_LINES} lines`, () => {
    const crowded = foldersUnder(RELEASE)
      .map((d) => ({ d, n: readdirSync(d).filter((x) => statSync(path.join(d, x)).isFile()).length }))
      .filter(({ n }) => n > MAX_FILES_PER_FOLDER)
      .map(({ d, n }) => `${rel(d)}: ${n} files`);
    const long = files.map((f) => ({ f, n: readFileSync(f, "utf8").split("\n").length })).filter(({ n }) => n > MAX_LINES).map(({ f, n }) => `${rel(f)}: ${n} lines`);
    assert.deepEqual([...crowded, ...long], []);
  });

  it("draws every wing in docs/code-map.md, which the README links", () => {
    const map = readFileSync(path.join(ROOT, "docs", "code-map.md"), "utf8");
    for (const wing of Object.keys(MAY_IMPORT)) assert.ok(map.includes(`${wing}/`), `docs/code-map.md does not mention ${wing}/`);
    assert.match(readFileSync(path.join(ROOT, "README.md"), "utf8"), /\]\(docs\/code-map\.md\)/);
  });
});
