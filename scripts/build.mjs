// Bundles the CLI with esbuild: split ESM chunks so each command loads only what it needs.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  define: { __KDRILL_VERSION__: JSON.stringify(pkg.version) },
  // cliui's ESM entry wraps help text mid-word (no wrap-ansi); its CommonJS build wraps at word boundaries
  alias: { cliui: './node_modules/cliui/build/index.cjs' },
  // CommonJS dependencies call require(); an ESM bundle has none unless we provide one.
  banner: {
    js: "import { createRequire as __kdrillCreateRequire } from 'node:module'; const require = __kdrillCreateRequire(import.meta.url);",
  },
});
