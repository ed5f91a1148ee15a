/**
 * `pulumi up` must never move traffic: no program change may send a version or routing change to
 * an existing alias (tests/infra/alias-inputs.ts enumerates the inputs from the provider's types).
 * Both stack files are checked the same way in program.test.ts.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { LambdaService } from "../../components/lambda-service";
import { assertNeverMovedByPulumi } from "./alias-inputs";
import { evaluate, ofType } from "./mocks";

describe("the alias is never moved by pulumi up", () => {
  it("classifies every aws.lambda.Alias input: updatable ones ignored, replacing ones protected", async () => {
    const code = { bucket: pulumi.output("b"), key: pulumi.output("functions/api/k.zip"), versionId: pulumi.output("v1"), sha256Base64: "q".repeat(43) + "=" };
    const run = await evaluate("test", {}, () => ({ v: new LambdaService("svc", { functionName: "fn", code, aliases: ["live", "beta"] }).latestVersion }));
    const aliases = ofType(run.resources, "aws:lambda/alias:Alias");
    assert.equal(aliases.length, 2);
    for (const alias of aliases) assertNeverMovedByPulumi(alias);
  });
});
