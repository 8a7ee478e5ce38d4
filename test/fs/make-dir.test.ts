import { existsSync } from 'node:fs';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDrillError } from '../../src/errors.js';
import { makeDir } from '../../src/fs/make-dir.js';

const failure = async (p: Promise<void>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isDrillError(e)) throw new Error(`wanted a DrillError, got ${String(e)}`);
  return e;
};

describe('makeDir', () => {
  it('makes a directory with its parents, and takes one that exists', async () => {
    const base = await mkdtemp(join(tmpdir(), 'kdrill-mkdir-'));
    await makeDir(join(base, 'a', 'b', 'c'), 'the report directory');
    expect((await stat(join(base, 'a', 'b', 'c'))).isDirectory()).toBe(true);
    await makeDir(join(base, 'a', 'b', 'c'), 'the report directory');
    await makeDir(base, 'the report directory');
  });

  it('a file in the way: exit 2, the path and the reason', async () => {
    const base = await mkdtemp(join(tmpdir(), 'kdrill-mkdir-'));
    await writeFile(join(base, 'f'), 'x');
    const under = await failure(makeDir(join(base, 'f', 'out'), 'the report directory'));
    expect(under.exitCode).toBe(2);
    expect(under.message).toBe(
      `cannot create the report directory ${join(base, 'f', 'out')}: a part of the path is a file, not a directory`,
    );
    const itself = await failure(makeDir(join(base, 'f'), 'the report directory'));
    expect(itself.message).toMatch(/it exists and is not a directory$/);
  });

  // Node's recursive mkdir spins forever there; the test's own timeout is the proof that this one settles
  it.skipIf(!existsSync('/proc/self'))(
    'a directory under /proc fails at once instead of spinning',
    async () => {
      const e = await failure(makeDir('/proc/kdrill-cannot-be/here', 'the report directory'));
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/cannot create the report directory \/proc\/kdrill-cannot-be\/here: /);
    },
    5000,
  );
});
