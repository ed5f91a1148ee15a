/** Finding and ending the DynamoDB Local Java processes a test started, by port. */
import { execFileSync } from "node:child_process";

/** Process ids of DynamoDB Local Java processes listening on `port`, read from `ps`. */
export function javaOnPort(port: number): number[] {
  const lines = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).split("\n");
  const java = new RegExp(`^\\s*(\\d+)\\s+\\S*java\\s.*DynamoDBLocal\\.jar.*\\s-port ${port}(\\s|$)`);
  return lines.flatMap((l) => {
    const match = java.exec(l);
    return match ? [Number(match[1])] : [];
  });
}

/** Polls `check` every 100 ms until it holds or `timeoutMs` passes; returns its last answer. */
export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** SIGKILLs every pid still running; for `finally` blocks after a failed assertion. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
