#!/usr/bin/env node
// Launcher for the `shiftline-release` bin: runs release/cli/release.ts through ts-node (transpile only).
"use strict";
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
const { main } = require("../release/cli/release.ts");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`unexpected error: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 5;
  },
);
