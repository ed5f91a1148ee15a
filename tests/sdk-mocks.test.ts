/**
 * `npm test` runs every test file in one mocha process. aws-sdk-client-mock's
 * `mockClient(LambdaClient)` stubs `send` on the class's prototype (sinon.stub(LambdaClient.prototype,
 * "send"): node_modules/aws-sdk-client-mock/dist/cjs/mockClient.js), so every client of that
 * class anywhere in the process answers from that file's stub until `restore()`. A file that
 * creates its mocks at module load patches the prototype while all the other files load and run.
 *
 * Mocha loads every file before it runs any test, and runs root-level hooks (hooks outside any
 * `describe`) once around the whole run: the `before` below sees what the files did at load, the
 * `after` what they left behind.
 */
import assert from "node:assert/strict";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";

const CLIENTS = { LambdaClient, CloudWatchClient, S3Client, DynamoDBClient } as const;

/**
 * The client classes whose prototype has its own `send`: each inherits `send` from Smithy's
 * `Client`, so an own property is a stub mockClient put there (restore() deletes it again).
 */
function patchedClients(): string[] {
  return Object.entries(CLIENTS)
    .filter(([, client]) => Object.prototype.hasOwnProperty.call(client.prototype, "send"))
    .map(([name]) => name);
}

let patchedWhileLoading: string[] = [];

before(function recordMocksCreatedAtLoad() {
  patchedWhileLoading = patchedClients();
});

after(function noMockOutlivesItsFile() {
  const left = patchedClients();
  if (left.length > 0) throw new Error(`${left.join(", ")}: still mocked after every test ran; restore() each mockClient in an after()/afterEach() of the block that created it.`);
});

describe("AWS SDK client mocks", () => {
  it("are not created while the test files load (mockClient belongs in a before()/beforeEach() hook)", () => {
    assert.deepEqual(patchedWhileLoading, [], `${patchedWhileLoading.join(", ")}: prototype already stubbed before the first test ran`);
  });

  it("are recognised by this check: mockClient gives the prototype its own send, restore() takes it away", async () => {
    const { mockClient } = await import("aws-sdk-client-mock");
    assert.deepEqual(patchedClients(), [], "no other block's mock is active while this test runs");
    const mock = mockClient(LambdaClient);
    try {
      assert.deepEqual(patchedClients(), ["LambdaClient"]);
    } finally {
      mock.restore();
    }
    assert.deepEqual(patchedClients(), []);
  });
});
