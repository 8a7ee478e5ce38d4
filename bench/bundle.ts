import { build } from 'esbuild';

/**
 * A measuring child bundled as kdrill ships (one esbuild bundle, plain node, the packages' ESM builds
 * taken as scripts/build.mjs takes them): under tsx its CPU and RSS would carry tsx's loader thread and
 * its compiled sources, which no user runs.
 */
export async function bundleChild(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}
