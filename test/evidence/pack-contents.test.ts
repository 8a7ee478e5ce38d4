import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import type { ControlEvidence } from '../../src/evidence/controls.js';
import { packRun } from '../../src/evidence/pack.js';
import { readTarGz, writeTarGz, type PackEntry } from '../../src/evidence/tar.js';
import { verifyPack } from '../../src/evidence/verify.js';
import { sampleResult, syntheticRun } from '../support/evidence.js';

const NOW = new Date(Date.UTC(2026, 11, 1, 3));
const tmp = (p: string) => mkdtemp(join(tmpdir(), p));

async function packOf(r?: DrillResult, extra: Record<string, string> = {}) {
  const dir = await syntheticRun(join(await tmp('kdrill-contents-'), 'report'), r);
  for (const [name, text] of Object.entries(extra)) await writeFile(join(dir, name), text);
  const p = await packRun({ runDir: dir, now: NOW, warn: () => undefined });
  const entries = await readTarGz(await readFile(p.file));
  const file = (name: string): Buffer | undefined => entries.find((e) => e.path.endsWith(`/${name}`))?.data;
  return { dir, pack: p.file, entries, file };
}

/** The summary's table row of one control. */
const row = (summary: string, id: string): string => summary.split('\n').find((l) => l.startsWith(`| ${id} |`)) ?? '';

describe("the pack's summary: which controls the run evidences, and by what", () => {
  it('lists every control of controls.json with its reference and status, each point with its evidence', async () => {
    const { file } = await packOf();
    const summary = file('summary.md')!.toString();
    const controls = JSON.parse(file('controls.json')!.toString()) as ControlEvidence[];
    expect(controls.length).toBeGreaterThan(5);
    for (const c of controls) {
      const r = row(summary, c.id);
      expect(r, c.id).toContain(`| ${c.ref} |`);
      for (const p of c.points) expect(r, `${c.id} ${p.id}`).toContain(`${p.evidenced ? '✅' : '—'} ${p.text}:`);
    }
    // by what: the integrity point names the checks that passed; what is missing says what it would need
    expect(row(summary, 'SOC2-A1.3')).toMatch(/✅ the integrity of the backup data was tested: sentinel: .*inventory:/);
    expect(row(summary, 'DORA-12.3')).toMatch(/— not evidenced .* needs the restore went into sandbox namespaces/);
    expect(row(summary, 'NIST-CP-9.2')).toContain('needs the recovery point (backup) was picked at random');
  });

  it('a run whose sentinel and inventory failed: the summary gives it no integrity point', async () => {
    const base = sampleResult();
    const failed = sampleResult({
      verdict: 'fail',
      exitCode: 3,
      verify: base.verify.map((v) => (v.type === 'workloads-ready' ? v : { ...v, passed: false })),
    });
    const summary = (await packOf(failed)).file('summary.md')!.toString();
    expect(summary).toContain('**Verdict: FAIL** (exit 3)');
    expect(row(summary, 'SOC2-A1.3')).toContain('— the integrity of the backup data was tested: needs');
    expect(row(summary, 'NIST-CP-9.1')).not.toContain('✅ the restored information is intact');
  });
});

describe('audit, scope and lint outputs the run directory holds', () => {
  it('go into the pack byte for byte, listed in the manifest, and a changed byte in one is named', async () => {
    const audit = '# Backup protection audit\n\nP2 OBJECT_LOCK_SHORT: nightly-1 ...\n';
    const lint = `${JSON.stringify({ findings: [{ code: 'RESTIC_MAINTENANCE', severity: 'P3' }] })}\n`;
    const { pack, file, entries } = await packOf(undefined, { 'audit.md': audit, 'lint.json': lint, 'notes.md': 'x' });
    expect(file('audit.md')!.toString()).toBe(audit);
    expect(file('lint.json')!.toString()).toBe(lint);
    // only what looks like an audit, scope or lint output: other files of the directory stay out
    expect(file('notes.md')).toBeUndefined();
    // the audit of result.json goes in as well, beside the directory's own Markdown
    expect(file('audit.json')).toBeDefined();
    const r = await verifyPack(pack);
    expect(r.manifest!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['audit.md', 'lint.json']));
    const flipped: PackEntry[] = entries.map((e) =>
      e.path.endsWith('/lint.json') ? { ...e, data: Buffer.from(e.data.toString().replace('P3', 'P4')) } : e,
    );
    const out = `${pack}.edited.tar.gz`;
    await writeFile(out, await writeTarGz(flipped, NOW));
    const v = await verifyPack(out);
    expect(v.intact).toBe(false);
    expect(v.problems).toContainEqual(expect.objectContaining({ what: 'file', path: 'lint.json' }));
  });

  it('a lint result in result.json is packed as lint.json when the directory has none of its own', async () => {
    const withLint = { ...sampleResult(), lint: { findings: [{ code: 'RESTIC_MAINTENANCE' }] } } as DrillResult;
    const { file } = await packOf(withLint);
    expect(JSON.parse(file('lint.json')!.toString())).toEqual({ findings: [{ code: 'RESTIC_MAINTENANCE' }] });
    expect((await packOf()).file('lint.json')).toBeUndefined();
  });
});
