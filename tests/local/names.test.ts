import assert from "node:assert/strict";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { addNames, NAMES_SEED_FILE, readNamesFile, validateNames } from "../../local/names";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";

describe("adding names", function () {
  this.timeout(30_000);

  it("ships a seed file that passes the lookup rules and holds seed 002's John", () => {
    assert.ok(readNamesFile(NAMES_SEED_FILE).includes("John"));
  });

  it("rejects names GET /names could never find, naming each one", () => {
    assert.throws(
      () => validateNames(["ok", "", "a\tb", "n".repeat(101), 7], "names"),
      (err: Error) => ["names[1]", "names[2]", "names[3]", "names[4]"].every((f) => err.message.includes(`${f} = `)) && !err.message.includes("names[0]"),
    );
  });

  it("adds new names and leaves names already present untouched", async () => {
    const client = await sharedClient();
    const { names } = await freshTables();
    assert.deepEqual(await addNames(client, names, ["John", "Jane Doe"]), { added: ["John", "Jane Doe"], alreadyPresent: [] });
    assert.deepEqual(await addNames(client, names, ["John", "山田太郎", "John"]), { added: ["山田太郎"], alreadyPresent: ["John"] });
    const item = await client.send(new GetItemCommand({ TableName: names, Key: { name: { S: "山田太郎" } } }));
    assert.equal(item.Item?.name.S, "山田太郎");
  });
});
