#!/usr/bin/env node
// Launcher for the `shiftline-prune` bin: runs release/cli/prune.ts through ts-node (transpile only).
"use strict";
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
const { pruneMain } = require("../release/cli/prune.ts");
pruneMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`unexpected error: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 5;
  },
);
