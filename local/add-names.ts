/**
 * `npm run names:add -- --table <name> [names…] [--file names.json]`: adds names to a names
 * table, deployed (default AWS credentials and region) or local (`--endpoint`). Exit codes:
 * 0 done, 1 a DynamoDB call failed, 2 bad arguments (options or names).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Command, CommanderError } from "commander";
import * as z from "zod/mini";
import { formatProblem, problemsFromZod, ValidationError } from "../lib/validation";
import { LOCAL_CLIENT_CONFIG } from "./dynamodb-local";
import { addNames, readNamesFile, validateNames } from "./names";

const EXIT = { ok: 0, failed: 1, badArguments: 2 } as const;
const HELP_HINT = "run `npm run names:add -- --help` for every option.";

/**
 * DynamoDB table names: 3–255 of `a-z A-Z 0-9 _ - .`
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
 */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

const addNamesOptionsSchema = z.object({
  table: z.string().check(z.regex(TABLE_NAME, "must be 3–255 letters, digits, '_', '-' or '.' (a DynamoDB table name); pass the stack's names table, or shiftline-names locally.")),
  file: z.optional(z.string().check(z.minLength(1, "must name a file; pass --file names.json or leave it out."))),
  endpoint: z.optional(
    z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL such as http://127.0.0.1:8000; leave it out to use AWS." }),
  ),
  region: z.optional(z.string().check(z.regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be an AWS region name such as eu-west-1; leave it out to use AWS_REGION or your profile's region."))),
});


function command(): Command {
  return new Command()
    .name("names:add")
    .description("Add names to the names table that GET /names searches. Names already present are left as they are.")
    .argument("[names...]", "names to add, e.g. John \"Jane Doe\"")
    .requiredOption("--table <table>", "physical table name (the stack's names table, or shiftline-names locally)")
    .option("--file <file>", "a JSON array of names to add as well")
    .option("--endpoint <url>", "a DynamoDB endpoint such as http://127.0.0.1:8000 (DynamoDB Local); omit for AWS")
    .option("--region <region>", "AWS region; defaults to AWS_REGION or your profile's region")
    .addHelpText("after", "\nExit codes: 0 all names stored, 1 a DynamoDB call failed, 2 invalid arguments or names.")
    // Commander exits 1 on its own errors (unknown option, missing --table); bad arguments are 2 here.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`${message.trimEnd()}\n${HELP_HINT}\n`) });
}

async function main(argv: readonly string[]): Promise<number> {
  const program = command();
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badArguments;
    throw err;
  }
  const parsed = addNamesOptionsSchema.safeParse(program.opts(), { reportInput: true });
  if (!parsed.success) {
    const problems = problemsFromZod(parsed.error.issues).map((p) => ({ ...p, field: `--${p.field}` }));
    console.error(`invalid options:\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
    return EXIT.badArguments;
  }
  const opts = parsed.data;
  let names: string[];
  try {
    names = [...validateNames(program.args, "names on the command line"), ...(opts.file ? readNamesFile(opts.file) : [])];
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    return EXIT.badArguments;
  }
  if (names.length === 0) {
    console.error("no names given: pass them as arguments or with --file names.json.");
    return EXIT.badArguments;
  }
  const client = new DynamoDBClient(opts.endpoint ? { ...LOCAL_CLIENT_CONFIG, endpoint: opts.endpoint, ...(opts.region ? { region: opts.region } : {}) } : { region: opts.region });
  try {
    const { added, alreadyPresent } = await addNames(client, opts.table, names);
    console.log(`added ${added.length} name(s) to ${opts.table}${added.length ? `: ${added.join(", ")}` : ""}`);
    if (alreadyPresent.length) console.log(`already present: ${alreadyPresent.join(", ")}`);
    return EXIT.ok;
  } catch (err) {
    console.error(err instanceof ValidationError ? err.message : `could not add names to ${opts.table}: ${(err as Error).name}: ${(err as Error).message}`);
    return EXIT.failed;
  } finally {
    client.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = EXIT.failed;
  },
);
