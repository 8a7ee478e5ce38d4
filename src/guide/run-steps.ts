import { createHash } from 'node:crypto';
import type { CommandRunner } from '../exec/command.js';
import type { Journal } from '../drill/journal.js';
import type { Clock } from '../time/clock.js';
import { commandsOf, type Runbook } from './runbook.js';

export interface StepRecord {
  index: number;
  title: string;
  anchor: string;
  startedAt: string;
  endedAt: string;
  status: 'done' | 'failed' | 'skipped';
  reason?: string;
  commands: { exitCode: number; outputDigest: string; outputTail: string; expectMatched?: boolean }[];
  notes?: string[];
}

/**
 * `kdrill guide --yes`: every runnable block in order, each step journaled, stopping at the first
 * failure. A block whose program is not installed here and is marked external is skipped, with why.
 */
export async function runStepsNonInteractive(
  rb: Runbook,
  o: { exec: CommandRunner; clock: Clock; journal: Journal; env: Record<string, string>; signal?: AbortSignal; onStep?: (r: StepRecord) => void; available: (cmd: string) => boolean },
): Promise<{ ok: boolean; steps: StepRecord[] }> {
  const steps: StepRecord[] = [];
  for (const [index, s] of rb.steps.entries()) {
    const startedAt = o.clock.now().toISOString();
    o.journal.append('guide-step-started', { index, title: s.title }, o.clock.now());
    const rec: StepRecord = { index, title: s.title, anchor: s.anchor, startedAt, endedAt: startedAt, status: 'done', commands: [] };
    let lastOutput = '';
    for (const b of s.blocks) {
      if (b.kind === 'show') continue;
      if (b.kind === 'expect') {
        const matched = new RegExp(b.text.trim(), 'm').test(lastOutput);
        const last = rec.commands[rec.commands.length - 1];
        if (last) last.expectMatched = matched;
        if (!matched) {
          rec.status = 'failed';
          rec.reason = `the output did not match /${b.text.trim()}/`;
          break;
        }
        continue;
      }
      const missing = commandsOf(b.text).filter((c) => c !== 'kdrill' && !o.available(c));
      if (b.external && missing.length) {
        rec.commands.push({ exitCode: -1, outputDigest: '', outputTail: `skipped: ${missing.join(', ')} not installed here (marked external)` });
        continue;
      }
      const r = await o.exec.run(['sh', '-c', b.text], { env: o.env, timeoutMs: 900_000, signal: o.signal });
      lastOutput = `${r.stdout}\n${r.stderr}`;
      const cmd = { exitCode: r.exitCode, outputDigest: createHash('sha256').update(lastOutput).digest('hex').slice(0, 16), outputTail: lastOutput.trim().split('\n').slice(-5).join('\n') };
      rec.commands.push(cmd);
      o.journal.append('guide-command', { index, exitCode: r.exitCode, outputDigest: cmd.outputDigest }, o.clock.now());
      if (r.exitCode !== 0) {
        rec.status = 'failed';
        rec.reason = `a command exited ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}`;
        break;
      }
    }
    rec.endedAt = o.clock.now().toISOString();
    steps.push(rec);
    o.journal.append('guide-step-ended', { index, status: rec.status, reason: rec.reason }, o.clock.now());
    o.onStep?.(rec);
    if (rec.status === 'failed') return { ok: false, steps };
  }
  return { ok: true, steps };
}
