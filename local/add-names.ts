/**
 * `npm run names:add -- --table <name> [names…] [--file names.json]`: adds names to a names
 * table, deployed (default AWS credentials and region) or local (`--endpoint`). Exit codes:
 * 0 done, 1 failed, 2 bad arguments.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Command } from "commander";
import { ValidationError } from "../lib/validation";
import { LOCAL_CLIENT_CONFIG } from "./dynamodb-local";
import { addNames, readNamesFile, validateNames } from "./names";

const program = new Command()
  .name("names:add")
  .description("Add names to the names table that GET /names searches. Names already present are left as they are.")
  .argument("[names...]", "names to add, e.g. John \"Jane Doe\"")
  .requiredOption("--table <table>", "physical table name (the stack's names table, or shiftline-names locally)")
  .option("--file <file>", "a JSON array of names to add as well")
  .option("--endpoint <url>", "a DynamoDB endpoint such as http://127.0.0.1:8000 (DynamoDB Local); omit for AWS")
  .option("--region <region>", "AWS region; defaults to AWS_REGION or your profile's region")
  .addHelpText("after", "\nExit codes: 0 all names stored, 1 a DynamoDB call failed, 2 invalid arguments or names.")
  .parse();

async function main(): Promise<number> {
  const opts = program.opts<{ table: string; file?: string; endpoint?: string; region?: string }>();
  let names: string[];
  try {
    names = [...validateNames(program.args, "names on the command line"), ...(opts.file ? readNamesFile(opts.file) : [])];
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    return 2;
  }
  if (names.length === 0) {
    console.error("no names given: pass them as arguments or with --file names.json.");
    return 2;
  }
  const client = new DynamoDBClient(opts.endpoint ? { ...LOCAL_CLIENT_CONFIG, endpoint: opts.endpoint, ...(opts.region ? { region: opts.region } : {}) } : { region: opts.region });
  try {
    const { added, alreadyPresent } = await addNames(client, opts.table, names);
    console.log(`added ${added.length} name(s) to ${opts.table}${added.length ? `: ${added.join(", ")}` : ""}`);
    if (alreadyPresent.length) console.log(`already present: ${alreadyPresent.join(", ")}`);
    return 0;
  } catch (err) {
    console.error(err instanceof ValidationError ? err.message : `could not add names to ${opts.table}: ${(err as Error).name}: ${(err as Error).message}`);
    return 1;
  } finally {
    client.destroy();
  }
}

main().then((code) => (process.exitCode = code));
