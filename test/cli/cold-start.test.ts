import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The files of dist/ that `kdrill <args>` loads, recorded by a module hook in the child. */
async function loaded(args: string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-cold-'));
  const log = join(dir, 'loaded.txt');
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});`,
  );
  await run(process.execPath, ['--import', join(dir, 'register.mjs'), 'bin/kdrill.mjs', ...args]);
  const dist = pathToFileURL(resolve('dist')).href;
  return (await readFile(log, 'utf8'))
    .split('\n')
    .filter((u) => u.startsWith(dist))
    .map((u) => u.slice(dist.length + 1));
}

// what a heavy module leaves in the bundle (identifiers are not minified)
const HEAVY: Record<string, RegExp> = {
  zod: /\bclass ZodError\b|ZodType\b/,
  'the AWS SDK': /\bclass S3Client\b/,
  '@kubernetes/client-node': /\bclass KubeConfig\b/,
  'the lab': /\bclass LabApiServer\b/,
};

describe('cold start', () => {
  it('kdrill --help and --version load the CLI, not zod, the AWS SDK, the Kubernetes client or the lab', async () => {
    for (const args of [['--help'], ['--version']]) {
      const files = await loaded(args);
      expect(files).toContain('cli.js');
      const source = (await Promise.all(files.map((f) => readFile(join('dist', f), 'utf8')))).join('\n');
      for (const [what, marker] of Object.entries(HEAVY))
        expect(marker.test(source), `${args} loads ${what}`).toBe(false);
    }
  });

  it('a command that needs them still loads them (the check can see them)', async () => {
    const files = await loaded(['validate', 'scenarios/namespace-loss.yaml']);
    const source = (await Promise.all(files.map((f) => readFile(join('dist', f), 'utf8')))).join('\n');
    expect(HEAVY.zod!.test(source)).toBe(true);
  });
});
