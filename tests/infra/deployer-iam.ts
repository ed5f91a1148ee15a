/**
 * Test helpers for the DeployerRole: a small evaluator of Allow and Deny statements without
 * conditions (the part of IAM's matching the role's policy uses; the full evaluation is in
 * deployer-simulation.test.ts) and a scanner that finds every AWS SDK command the release
 * CLI's sources can send — `new XCommand(`, SDK waiters (resolved through the installed SDK's
 * own waiter sources) and paginators.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyDocument } from "../../components/deployer-role";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** IAM wildcard match: `*` is any run of characters (colons and slashes too), `?` one character. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(value);
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Whether some Allow statement grants `action` on `resource` and no Deny statement refuses it
 * (an explicit Deny wins; action names compare case-insensitively, as IAM does).
 */
export function allows(doc: PolicyDocument, action: string, resource: string): boolean {
  const matches = (effect: "Allow" | "Deny") =>
    doc.Statement.some(
      (s) => s.Effect === effect && list(s.Action).some((a) => wildcardMatches(a.toLowerCase(), action.toLowerCase())) && list(s.Resource).some((r) => wildcardMatches(r, resource)),
    );
  return matches("Allow") && !matches("Deny");
}

/** Every (action, resource) pair the document's Allow statements name. */
export function grantedPairs(doc: PolicyDocument): Array<{ action: string; resource: string }> {
  return doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, resource }))));
}

export interface SentCommand {
  readonly command: string;
  readonly file: string;
  readonly via: "new" | "waiter" | "paginator";
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sourceFiles(full);
    return /\.ts$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name) ? [full] : [];
  });
}

/** The command an SDK waiter polls, read from the installed client's waiter source. */
export function waiterCommand(waiter: string): string | undefined {
  const file = `${waiter.replace(/^waitUntil/, "waitFor")}.js`;
  const sdkRoot = path.join(REPO_ROOT, "node_modules", "@aws-sdk");
  for (const pkg of fs.readdirSync(sdkRoot).filter((p) => p.startsWith("client-"))) {
    const candidate = path.join(sdkRoot, pkg, "dist-es", "waiters", file);
    if (fs.existsSync(candidate)) return /\b(\w+Command)\b/.exec(fs.readFileSync(candidate, "utf8"))?.[1];
  }
  return undefined;
}

/** Files under `dir` that talk to AWS through an SDK v3 client package. */
export function adapterFiles(dir: string): string[] {
  return sourceFiles(dir).filter((f) => /from\s+["']@aws-sdk\/client-[\w-]+["']/.test(fs.readFileSync(f, "utf8")));
}

/** Every SDK command the TypeScript sources under `dir` construct, poll or paginate. */
export function commandsSentBy(dir: string): SentCommand[] {
  const found: SentCommand[] = [];
  for (const file of sourceFiles(dir)) {
    const text = fs.readFileSync(file, "utf8");
    const rel = path.relative(REPO_ROOT, file);
    for (const m of text.matchAll(/\bnew\s+([A-Z]\w*Command)\s*\(/g)) found.push({ command: m[1], file: rel, via: "new" });
    for (const m of text.matchAll(/\b(waitUntil[A-Z]\w*)\s*\(/g)) {
      const command = waiterCommand(m[1]);
      if (command === undefined) throw new Error(`${rel}: ${m[1]} is not a waiter of any installed @aws-sdk client`);
      found.push({ command, file: rel, via: "waiter" });
    }
    for (const m of text.matchAll(/\bpaginate([A-Z]\w*)\s*\(/g)) found.push({ command: `${m[1]}Command`, file: rel, via: "paginator" });
  }
  return found;
}
