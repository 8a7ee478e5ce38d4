import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { isDrillError } from '../../src/errors.js';
import { durationArg, fromYargs, listArg, numberBetween, requestTimeoutArg } from '../../src/cli/coerce.js';

describe('option values parsed by coerce', () => {
  it('lists: comma-separated, repeated, trimmed', () => {
    expect(listArg('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(listArg(['a,b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  it('durations and bounds, in seconds', () => {
    expect(durationArg('rpo')('1h30m')).toBe(5400);
    expect(numberBetween('concurrency', 1, 256, '')(32)).toBe(32);
    expect(requestTimeoutArg('1m30s')).toBe(90);
    expect(requestTimeoutArg('45')).toBe(45);
    expect(() => requestTimeoutArg('25h')).toThrow(/between 1s and 24h/);
  });

  it('a usage error thrown in coerce comes back whole (exit 2, hint) from the YError yargs makes of it', async () => {
    let failed: Error | undefined;
    await yargs(['--rpo', 'soon'])
      .exitProcess(false)
      .options({ rpo: { type: 'string', coerce: durationArg('rpo') } })
      .fail((_msg, err) => {
        failed = err;
      })
      .parseAsync();
    expect(failed).toBeDefined();
    expect(isDrillError(failed)).toBe(false);
    const e = fromYargs(failed!);
    expect(isDrillError(e) && [e.exitCode, e.message, e.hint]).toEqual([
      2,
      '--rpo soon is not a duration',
      'e.g. 90s, 15m, 24h, 7d',
    ]);
  });
});
