#!/usr/bin/env node
// The `fundguard` command: runs the built CLI (npm run build writes dist/).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('fundguard is not built yet: run `npm run build` first\n');
  process.exit(1);
}
require(cli);
