#!/usr/bin/env node
// Runs the bundle when it exists (npm ci builds it via `prepare`); in a checkout without it, says how to build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('kdrill: the CLI is not built (dist/cli.js is missing).\n  hint: run `npm ci` (it builds) or `npm run build`.\n');
  process.exitCode = 1;
} else {
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(process.argv.slice(2));
}
