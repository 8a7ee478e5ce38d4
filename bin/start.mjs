// What both entries share: run the bundle when it exists (npm ci builds it via `prepare`); in a
// checkout without it, say how to build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs the CLI as `scriptName` (how the user called it) and sets the process's exit code. */
export async function start(scriptName) {
  const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  if (!existsSync(bundle)) {
    process.stderr.write(
      `${scriptName}: the CLI is not built (dist/cli.js is missing).\n  hint: run \`npm ci\` (it builds) or \`npm run build\`.\n`,
    );
    process.exitCode = 1;
    return;
  }
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(process.argv.slice(2), { scriptName });
}
