import { describe, expect, it } from 'vitest';
import { cronProblem, nextRun, splitTimeZone } from '../../src/time/cron.js';

// Each expected time worked out by hand from robfig/cron v3's rules (ParseStandard, as Kubernetes and
// Velero use it), not from the library under test. 2026-11-25 is a Wednesday; 2026-11-30 a Monday.
const NEXT: [expr: string, after: string, next: string, why: string][] = [
  ['0 0 1 * MON', '2026-11-25T00:00:00Z', '2026-11-30T00:00:00Z', 'both days restricted: either matches'],
  ['0 0 1 * *', '2026-11-25T00:00:00Z', '2026-12-01T00:00:00Z', 'day-of-month alone'],
  ['0 0 * * MON', '2026-11-25T00:00:00Z', '2026-11-30T00:00:00Z', 'day-of-week alone'],
  ['0 0 ? * MON', '2026-11-25T00:00:00Z', '2026-11-30T00:00:00Z', '? is *: Mondays only'],
  ['0 0 1 * ?', '2026-11-25T00:00:00Z', '2026-12-01T00:00:00Z', '? in day-of-week'],
  ['0 0 */2 * MON', '2026-11-25T00:00:00Z', '2026-11-27T00:00:00Z', 'a step over 1 restricts: odd days or Mondays'],
  ['0 0 */1 * MON', '2026-11-25T00:00:00Z', '2026-11-30T00:00:00Z', '*/1 is still a star: Mondays only'],
  ['0 0 1-31 * MON', '2026-11-25T00:00:00Z', '2026-11-26T00:00:00Z', '1-31 is no star: every day or Monday'],
  ['0 0 13 * FRI', '2026-11-25T00:00:00Z', '2026-11-27T00:00:00Z', 'Friday the 27th before the 13th'],
  ['30 3 * nov-dec MON', '2026-11-25T09:00:00Z', '2026-11-30T03:30:00Z', 'names, case-insensitive'],
  ['5/15 * * * *', '2026-11-25T00:05:00Z', '2026-11-25T00:20:00Z', 'N/step runs from N to the maximum'],
  ['*/20 9-17/4 * * *', '2026-11-25T09:50:00Z', '2026-11-25T13:00:00Z', 'hours 9, 13, 17'],
  ['0 2 * * *', '2026-11-25T02:00:00.500Z', '2026-11-26T02:00:00Z', 'strictly after'],
  ['0 0 29 2 *', '2026-11-25T00:00:00Z', '2028-02-29T00:00:00Z', 'the next leap day'],
  ['0 0 31 * *', '2026-11-25T00:00:00Z', '2026-12-31T00:00:00Z', 'months without a 31st are skipped'],
  ['0 0 1,15 * *', '2026-11-25T00:00:00Z', '2026-12-01T00:00:00Z', 'a list'],
  ['@yearly', '2026-11-25T00:00:00Z', '2027-01-01T00:00:00Z', '0 0 1 1 *'],
  ['@annually', '2026-11-25T00:00:00Z', '2027-01-01T00:00:00Z', '0 0 1 1 *'],
  ['@monthly', '2026-11-25T00:00:00Z', '2026-12-01T00:00:00Z', '0 0 1 * *'],
  ['@weekly', '2026-11-25T00:00:00Z', '2026-11-29T00:00:00Z', '0 0 * * 0: Sunday'],
  ['@daily', '2026-11-25T09:00:00Z', '2026-11-26T00:00:00Z', '0 0 * * *'],
  ['@midnight', '2026-11-25T00:00:00Z', '2026-11-26T00:00:00Z', '0 0 * * *'],
  ['@hourly', '2026-11-25T09:59:59Z', '2026-11-25T10:00:00Z', '0 * * * *'],
  ['@every 1h30m', '2026-11-25T00:00:00.700Z', '2026-11-25T01:30:00Z', 'from the whole second'],
  ['@every 90s', '2026-11-25T10:00:30Z', '2026-11-25T10:02:00Z', 'a Go duration'],
  ['@every 500ms', '2026-11-25T10:00:00.250Z', '2026-11-25T10:00:01Z', 'less than a second is a second'],
  ['CRON_TZ=Europe/Berlin 0 2 * * *', '2026-11-25T00:00:00Z', '2026-11-25T01:00:00Z', '02:00 CET is 01:00 UTC'],
  ['TZ=Asia/Tokyo 0 9 * * 1-5', '2026-11-25T00:00:00Z', '2026-11-26T00:00:00Z', 'Wed 09:00 JST is now: Thursday'],
  [
    'TZ=America/New_York 30 2 * * *',
    '2026-03-07T12:00:00Z',
    '2026-03-09T06:30:00Z',
    '02:30 is in the DST gap of Mar 8',
  ],
  ['TZ=America/New_York 30 1 * * *', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '01:30 comes twice on Nov 1'],
];

describe('cron: Kubernetes CronJob (robfig/cron v3) schedules', () => {
  it.each(NEXT)('%s after %s is %s (%s)', (expr, after, next) => {
    expect(nextRun(expr, new Date(after))?.toISOString()).toBe(new Date(next).toISOString());
  });

  it('refuses what robfig refuses, saying why', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['0 2 * *', /exactly 5 fields, found 4/],
      ['0 2 * * * *', /exactly 5 fields, found 6/],
      ['61 * * * *', /minute "61": end of range \(61\) above maximum \(59\)/],
      ['0 0 0 * *', /day-of-month "0": beginning of range \(0\) below minimum \(1\)/],
      ['0 0 * 13 *', /month "13"/],
      ['0 0 * * 7', /day-of-week "7": end of range \(7\) above maximum \(6\)/],
      ['0 0 * foo *', /failed to parse int from foo/],
      ['5-1 * * * *', /beyond end of range/],
      ['*/0 * * * *', /positive number/],
      ['1-2-3 * * * *', /too many hyphens/],
      ['1/2/3 * * * *', /too many slashes/],
      ['-1 * * * *', /minute "-1"/],
      ['0 0 L * *', /day-of-month "L"/],
      ['0 0 * * MON#1', /day-of-week "MON#1"/],
      ['@DAILY', /unrecognized descriptor: @DAILY/],
      ['@reboot', /unrecognized descriptor/],
      ['@every 1d', /failed to parse duration/],
      ['@every 1', /failed to parse duration/],
      ['CRON_TZ=Mars/Olympus 0 0 * * *', /bad location Mars\/Olympus/],
    ];
    for (const [expr, why] of bad) {
      expect(nextRun(expr, new Date('2026-11-25T00:00:00Z')), expr).toBeUndefined();
      expect(cronProblem(expr), expr).toMatch(why);
    }
  });

  it('never finds a run for a date that does not exist, and says so quickly', () => {
    const t = performance.now();
    expect(nextRun('0 0 30 2 *', new Date('2026-11-25T00:00:00Z'))).toBeUndefined();
    expect(cronProblem('0 0 30 2 *')).toBeUndefined();
    expect(performance.now() - t).toBeLessThan(5_000);
  });

  it('splits a CRON_TZ= or TZ= prefix from its schedule', () => {
    expect(splitTimeZone('CRON_TZ=Europe/Berlin 0 2 * * *')).toEqual({
      timeZone: 'Europe/Berlin',
      schedule: '0 2 * * *',
    });
    expect(splitTimeZone('TZ=UTC  @daily')).toEqual({ timeZone: 'UTC', schedule: '@daily' });
    expect(splitTimeZone('0 2 * * *')).toEqual({ schedule: '0 2 * * *' });
  });
});
