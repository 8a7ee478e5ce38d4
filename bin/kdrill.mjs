#!/usr/bin/env node
// Runs the bundle when it exists (npm ci builds it via `prepare`); in a checkout without it, says how to build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(
    'kdrill: the CLI is not built (dist/cli.js is missing).\n  hint: run `npm ci` (it builds) or `npm run build`.\n',
  );
  process.exitCode = 1;
} else {
  // kdrill pins Node 20 on purpose; the AWS SDK's notice that it will want Node 22 is noise at 2 AM
  const emit = process.emitWarning.bind(process);
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
    emit(warning, ...rest);
  };
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(process.argv.slice(2));
}
