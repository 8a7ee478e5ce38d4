import { createHash } from 'node:crypto';
import type { CommandRunner } from '../exec/command.js';
import type { Journal } from '../drill/journal.js';
import type { Clock } from '../time/clock.js';
import { commandsOf, type Runbook, type RunbookStep } from './runbook.js';

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

export interface BlockRunOptions {
  exec: CommandRunner;
  clock: Clock;
  journal: Journal;
  env: Record<string, string>;
  signal?: AbortSignal;
  available: (cmd: string) => boolean;
  /** Where the commands and their output go as they run (the operator's terminal); unattended: nowhere. */
  write?: (text: string) => void;
}

/**
 * Runs one step's blocks in order, recording each command (exit code, output digest and tail) in
 * `rec` and the journal: what `guide` and `guide --yes` share. Stops at the first command that fails
 * or output that does not match its `expect`. A block whose program is missing here and is marked
 * external is skipped, and the record says why.
 */
export async function runStepBlocks(
  step: RunbookStep,
  index: number,
  rec: StepRecord,
  o: BlockRunOptions,
): Promise<{ ok: boolean; reason: string }> {
  let lastOutput = '';
  for (const b of step.blocks) {
    if (b.kind === 'show') continue;
    if (b.kind === 'expect') {
      const matched = new RegExp(b.text.trim(), 'm').test(lastOutput);
      const last = rec.commands[rec.commands.length - 1];
      if (last) last.expectMatched = matched;
      if (!matched) return { ok: false, reason: `the output did not match /${b.text.trim()}/` };
      continue;
    }
    const missing = commandsOf(b.text).filter((c) => c !== 'kdrill' && !o.available(c));
    if (b.external && missing.length) {
      const why = `skipped: ${missing.join(', ')} not installed here (marked external)`;
      rec.commands.push({ exitCode: -1, outputDigest: '', outputTail: why });
      o.write?.(`(${why})\n`);
      continue;
    }
    o.write?.(`$ ${b.text}\n`);
    const r = await o.exec.run(['sh', '-c', b.text], {
      env: o.env,
      timeoutMs: 900_000,
      signal: o.signal,
      ...(o.write ? { onOutput: o.write } : {}),
    });
    lastOutput = `${r.stdout}\n${r.stderr}`;
    const cmd = {
      exitCode: r.exitCode,
      outputDigest: createHash('sha256').update(lastOutput).digest('hex').slice(0, 16),
      outputTail: lastOutput.trim().split('\n').slice(-5).join('\n'),
    };
    rec.commands.push(cmd);
    o.journal.append(
      'guide-command',
      { index, command: b.text, exitCode: r.exitCode, outputDigest: cmd.outputDigest },
      o.clock.now(),
    );
    if (r.exitCode !== 0)
      return { ok: false, reason: `the command exited ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}` };
  }
  return { ok: true, reason: '' };
}

/**
 * `kdrill guide --yes`: every runnable block in order, each step journaled, stopping at the first
 * failure.
 */
export async function runStepsNonInteractive(
  rb: Runbook,
  o: BlockRunOptions & { onStep?: (r: StepRecord) => void },
): Promise<{ ok: boolean; steps: StepRecord[] }> {
  const steps: StepRecord[] = [];
  for (const [index, s] of rb.steps.entries()) {
    const startedAt = o.clock.now().toISOString();
    o.journal.append('guide-step-started', { index, title: s.title }, o.clock.now());
    const rec: StepRecord = {
      index,
      title: s.title,
      anchor: s.anchor,
      startedAt,
      endedAt: startedAt,
      status: 'done',
      commands: [],
    };
    const outcome = await runStepBlocks(s, index, rec, o);
    if (!outcome.ok) {
      rec.status = 'failed';
      rec.reason = outcome.reason;
    }
    rec.endedAt = o.clock.now().toISOString();
    steps.push(rec);
    o.journal.append('guide-step-ended', { index, status: rec.status, reason: rec.reason }, o.clock.now());
    o.onStep?.(rec);
    if (rec.status === 'failed') return { ok: false, steps };
  }
  return { ok: true, steps };
}
