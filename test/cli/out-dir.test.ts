import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError, kdrill } from '../support/cli.js';

/** A report directory kdrill cannot make is bad input: one line, a hint, exit 2, and no lab started. */
describe('kdrill run: a --out it cannot create', () => {
  it('a file in the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-out-'));
    await writeFile(join(dir, 'file'), 'x');
    const r = await kdrill(['run', 'scenarios/namespace-loss.yaml', '--lab', '--out', join(dir, 'file', 'r')]);
    expectCleanError(r, 2, /cannot create the report directory .*file\/r: a part of the path is a file/);
    expect(r.stdout + r.stderr).not.toMatch(/starting an ephemeral lab/);
  });

  // Node's recursive mkdir spins there at 100% of a core and never returns
  it.skipIf(!existsSync('/proc/self'))('a path under /proc: fails at once', async () => {
    const r = await kdrill(['run', 'scenarios/namespace-loss.yaml', '--lab', '--out', '/proc/kdrill-no/r'], {
      timeoutMs: 20_000,
    });
    expectCleanError(r, 2, /cannot create the report directory \/proc\/kdrill-no\/r: /);
  });
});

describe('kdrill lab up: a --dir it cannot create', () => {
  it.skipIf(!existsSync('/proc/self'))('a path under /proc: exit 2 at once, nothing started', async () => {
    const r = await kdrill(['lab', 'up', '--dir', '/proc/kdrill-no-lab'], { timeoutMs: 20_000 });
    expectCleanError(r, 2, /cannot create the lab directory \/proc\/kdrill-no-lab: /);
  });
});
