#!/usr/bin/env node
// Launcher for the `shiftline-probe` bin: runs release/cli/probe.ts through ts-node (transpile only).
"use strict";
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
const { probeMain } = require("../release/cli/probe.ts");
const { systemClock } = require("../release/core/clock.ts");
const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
probeMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, clock: systemClock, fetch, stop: stop.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`unexpected error: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 3;
  },
);
