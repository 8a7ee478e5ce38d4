// Bundles the CLI with esbuild: split ESM chunks so each command loads only what it needs.
import { build } from 'esbuild';
import { readdir, readFile, rename, rm } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

const dist = new URL('../dist/', import.meta.url);
// Built beside dist, then swapped in only when it differs: a second test run (or a drill still running
// from dist) must never see a half-written or missing bundle.
const fresh = new URL(`../dist.build-${process.pid}/`, import.meta.url);
await rm(fresh, { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: fresh.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // the ESM build where a package without an exports map has one (the AWS SDK's, node-fetch's and
  // emoji-regex's; esbuild's metafile shows no other change): esbuild can drop what kdrill never calls,
  // 740 kB of client-s3 down to 208 kB, about 30 ms less to load for every command that reads S3
  mainFields: ['module', 'main'],
  target: 'node20',
  sourcemap: true,
  // less source for V8 to scan at every start (names are kept: --debug stack traces still read)
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  define: { __KDRILL_VERSION__: JSON.stringify(pkg.version) },
  // cliui's ESM entry wraps help text mid-word (no wrap-ansi); its CommonJS build wraps at word boundaries
  alias: { cliui: './node_modules/cliui/build/index.cjs', 'strip-ansi': './scripts/strip-ansi-shim.cjs' },
  // CommonJS dependencies call require(); an ESM bundle has none unless we provide one.
  banner: {
    js: "import { createRequire as __kdrillCreateRequire } from 'node:module'; const require = __kdrillCreateRequire(import.meta.url);",
  },
});

async function files(dir) {
  const names = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => undefined);
  if (!names) return undefined;
  const out = new Map();
  for (const e of names)
    if (e.isFile()) {
      const path = `${e.parentPath ?? e.path}/${e.name}`;
      out.set(path.slice(new URL(dir).pathname.length), await readFile(path));
    }
  return out;
}
const [before, after] = await Promise.all([files(dist), files(fresh)]);
const same = before && before.size === after.size && [...after].every(([k, v]) => before.get(k)?.equals(v));
if (same) await rm(fresh, { recursive: true, force: true });
else {
  const old = new URL(`../dist.old-${process.pid}/`, import.meta.url);
  await rename(dist, old).catch(() => undefined);
  await rename(fresh, dist);
  await rm(old, { recursive: true, force: true });
}
