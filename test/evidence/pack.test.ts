import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { lineHash } from '../../src/drill/journal.js';
import { generateKeys, keyId, loadPrivateKey, loadPublicKey } from '../../src/evidence/keys.js';
import { sha256 } from '../../src/evidence/manifest.js';
import { packRun } from '../../src/evidence/pack.js';
import { readTarGz, writeTarGz, type PackEntry } from '../../src/evidence/tar.js';
import { verifyPack, type VerifyReport } from '../../src/evidence/verify.js';
import { LAB_KEY_ID, LAB_SECRET, sampleResult, syntheticRun } from '../support/evidence.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), p));
const NOW = new Date(Date.UTC(2026, 11, 1, 3));

async function signedPack(): Promise<{ pack: string; pub: string; dir: string; keys: string }> {
  const keys = await tmp('kdrill-keys-');
  const k = generateKeys(join(keys, 'signing'));
  const dir = await syntheticRun(join(await tmp('kdrill-run-'), 'report'));
  const pack = join(keys, 'pack.tar.gz');
  await packRun({ runDir: dir, signKey: k.keyFile, out: pack, now: NOW, warn: () => undefined });
  return { pack, pub: k.pubFile, dir, keys };
}

/** Rewrites the pack with `edit` applied to its entries: what someone editing a pack and re-taring it would do. */
async function tampered(pack: string, edit: (entries: PackEntry[]) => PackEntry[]): Promise<string> {
  const entries = edit(await readTarGz(await readFile(pack)));
  const out = `${pack}.tampered-${Math.random().toString(36).slice(2)}.tar.gz`;
  await writeFile(out, await writeTarGz(entries, NOW));
  return out;
}

const inside = (name: string) => (e: PackEntry) => e.path.endsWith(`/${name}`);

/** Flips one bit of one byte of the named file (at `at`, default the middle). */
const flip =
  (name: string, at?: (data: Buffer) => number) =>
  (entries: PackEntry[]): PackEntry[] =>
    entries.map((e) => {
      if (!inside(name)(e)) return e;
      const data = Buffer.from(e.data);
      const i = at ? at(data) : data.length >> 1;
      data[i] = data[i]! ^ 0x01;
      return { ...e, data };
    });

const messages = (r: VerifyReport) => r.problems.map((p) => p.message).join('\n');

describe('kdrill evidence pack, then verify', () => {
  it('packs a run in one signed .tar.gz that verifies intact, every file listed with its SHA-256', async () => {
    const { pack, pub, dir } = await signedPack();
    const r = await verifyPack(pack, loadPublicKey(pub));
    expect(r.problems).toEqual([]);
    expect(r.intact).toBe(true);
    expect(r.signer).toMatchObject({ trusted: true, keyId: keyId(loadPublicKey(pub)) });
    expect(r.journal).toEqual({ records: 7 });
    const m = r.manifest!;
    expect(m.run).toMatchObject({ runId: 'a1b2c3d4', scenario: 'namespace-loss', verdict: 'pass' });
    expect(m.files.map((f) => f.path)).toEqual([
      'summary.md',
      'controls.json',
      'result.json',
      'journal.jsonl',
      'retrospective.md',
      'report.html',
      'junit.xml',
      'scenario.yaml',
      'audit.json',
      'scope.json',
      'versions.json',
    ]);
    // the run's own files go in byte for byte: the scenario exactly as run, the journal as written
    for (const f of ['result.json', 'journal.jsonl', 'retrospective.md', 'scenario.yaml'])
      expect(m.files.find((x) => x.path === f)!.sha256, f).toBe(sha256(await readFile(join(dir, f))));
    const versions = JSON.parse(
      (await readTarGz(await readFile(pack))).find(inside('versions.json'))!.data.toString(),
    ) as Record<string, unknown>;
    expect(versions).toMatchObject({ kdrill: '0.1.0', clusters: [{ kubernetes: 'v1.30.0', velero: 'v1.14.1' }] });
    expect(versions.packedBy).toEqual(expect.any(String));
    // the default place: in the run directory, named by scenario and run
    const d = await packRun({ runDir: dir, now: NOW, warn: () => undefined });
    expect(d.file).toBe(join(dir, 'kdrill-evidence-namespace-loss-a1b2c3d4.tar.gz'));
    expect(d.keyId).toBeUndefined();
  });

  it.each([
    'result.json',
    'journal.jsonl',
    'retrospective.md',
    'report.html',
    'junit.xml',
    'scenario.yaml',
    'audit.json',
    'scope.json',
    'versions.json',
    'controls.json',
    'summary.md',
  ])('one byte flipped in %s: verify names it', async (name) => {
    const { pack, pub } = await signedPack();
    const r = await verifyPack(await tampered(pack, flip(name)), loadPublicKey(pub));
    expect(r.intact).toBe(false);
    expect(r.problems).toContainEqual(
      expect.objectContaining({ what: 'file', path: name, message: expect.stringMatching(/was changed: its SHA-256/) }),
    );
    // nothing else is blamed: the manifest and the signature still hold
    expect(r.problems.filter((p) => p.what !== 'file' && p.what !== 'journal')).toEqual([]);
  });

  it('one byte flipped in the manifest: "manifest.json was changed after it was signed"', async () => {
    const { pack, pub } = await signedPack();
    // inside the run's start time: the JSON still parses, only what it says changed
    const at = (d: Buffer) => d.indexOf('"startedAt": "2026-12-01T02:00:00') + 20;
    const r = await verifyPack(await tampered(pack, flip('manifest.json', at)), loadPublicKey(pub));
    expect(r.problems).toEqual([
      { what: 'manifest', path: 'manifest.json', message: 'manifest.json was changed after it was signed' },
    ]);
    // a byte that breaks the JSON is named too
    const broken = await verifyPack(
      await tampered(
        pack,
        flip('manifest.json', () => 0),
      ),
      loadPublicKey(pub),
    );
    expect(messages(broken)).toMatch(/manifest.json was changed: it is not valid JSON/);
  });

  it('one byte flipped in the signature: "signature.json was changed", never blamed on the manifest', async () => {
    const { pack, pub } = await signedPack();
    const inSig = (d: Buffer) => d.indexOf('"signature": "') + 20;
    const r = await verifyPack(await tampered(pack, flip('signature.json', inSig)), loadPublicKey(pub));
    expect(r.problems).toEqual([
      {
        what: 'signature',
        path: 'signature.json',
        message: 'signature.json was changed: its signature does not verify over manifest.json',
      },
    ]);
    const inKeyId = (d: Buffer) => d.indexOf('"keyId": "') + 12;
    const k = await verifyPack(await tampered(pack, flip('signature.json', inKeyId)), loadPublicKey(pub));
    expect(messages(k)).toMatch(/signature.json was changed: its key id is not its public key's/);
    expect(k.problems.map((p) => p.what)).not.toContain('key');
    const removed = await verifyPack(
      await tampered(pack, (es) => es.filter((e) => !inside('signature.json')(e))),
      loadPublicKey(pub),
    );
    expect(messages(removed)).toMatch(/signature.json is missing: the manifest says key [0-9a-f]{16} signed it/);
  });

  it('the journal chain: a byte in a record names the record where the chain breaks', async () => {
    const { pack, pub } = await signedPack();
    // record 4's `prev`: it no longer names record 3
    const inPrev = (d: Buffer) => {
      const line4 = d.toString().split('\n').slice(0, 3).join('\n').length + 1;
      return d.indexOf('"prev":"', line4) + 10;
    };
    const r = await verifyPack(await tampered(pack, flip('journal.jsonl', inPrev)), loadPublicKey(pub));
    expect(r.problems).toContainEqual({
      what: 'journal',
      path: 'journal.jsonl',
      message: expect.stringMatching(
        /^journal\.jsonl: the hash chain breaks at record 4 \(inject-started at 2026-12-01T02:00:03\.000Z\): it does not follow from record 3/,
      ),
    });
    expect(r.problems).toContainEqual(expect.objectContaining({ what: 'file', path: 'journal.jsonl' }));
  });

  it('a journal edited and re-chained throughout still fails: the manifest sealed its head', async () => {
    const { pack, pub } = await signedPack();
    const rechain = (entries: PackEntry[]) =>
      entries.map((e) => {
        if (!inside('journal.jsonl')(e)) return e;
        let prev = '';
        const lines = e.data
          .toString()
          .trimEnd()
          .split('\n')
          .map((l) => {
            const rec = JSON.parse(l) as Record<string, unknown>;
            if (rec.event === 'verify-done') rec.passed = false;
            const line = JSON.stringify({ ...rec, prev });
            prev = lineHash(line);
            return line;
          });
        return { ...e, data: Buffer.from(`${lines.join('\n')}\n`) };
      });
    const r = await verifyPack(await tampered(pack, rechain), loadPublicKey(pub));
    expect(messages(r)).toMatch(
      /journal\.jsonl: its chain holds 7 record\(s\) ending in [0-9a-f]{16}…, the manifest sealed 7/,
    );
    expect(messages(r)).toMatch(/journal\.jsonl was changed: its SHA-256/);
  });

  it('a wrong key is named as such', async () => {
    const { pack, keys } = await signedPack();
    const other = generateKeys(join(keys, 'other'));
    const r = await verifyPack(pack, loadPublicKey(other.pubFile));
    expect(r.intact).toBe(false);
    expect(r.problems).toEqual([
      {
        what: 'key',
        message: expect.stringMatching(
          /^wrong key: the pack was signed by key [0-9a-f]{16}, and --pub is key [0-9a-f]{16}$/,
        ),
      },
    ]);
    expect(r.signer?.trusted).toBe(false);
    // without --pub the pack is self-consistent, and says it was not checked against a trusted key
    const self = await verifyPack(pack);
    expect(self).toMatchObject({ intact: true, signer: { trusted: false } });
  });

  it('an unsigned pack verifies its files; with --pub it is "not signed"', async () => {
    const { dir, pub } = await signedPack();
    const out = join(await tmp('kdrill-unsigned-'), 'p.tar.gz');
    await packRun({ runDir: dir, out, now: NOW, warn: () => undefined });
    expect(await verifyPack(out)).toMatchObject({ intact: true, signer: undefined });
    expect(messages(await verifyPack(out, loadPublicKey(pub)))).toMatch(/the pack is not signed/);
  });

  it('a file added to or removed from the pack is named', async () => {
    const { pack, pub } = await signedPack();
    const added = await tampered(pack, (es) => [
      ...es,
      { path: es[0]!.path.replace(/[^/]+$/, 'extra.txt'), data: Buffer.from('x') },
    ]);
    expect(messages(await verifyPack(added, loadPublicKey(pub)))).toBe(
      'extra.txt is not in the manifest: it was added',
    );
    const removed = await tampered(pack, (es) => es.filter((e) => !inside('junit.xml')(e)));
    expect(messages(await verifyPack(removed, loadPublicKey(pub)))).toBe('junit.xml is missing from the pack');
  });

  it('a file that is not a pack: exit 2 (NOT_A_PACK); damaged gzip: not intact', async () => {
    const { pack, dir } = await signedPack();
    await expect(verifyPack(join(dir, 'result.json'))).rejects.toMatchObject({ code: 'NOT_A_PACK', exitCode: 2 });
    const tarNoManifest = join(dir, 'plain.tar.gz');
    await writeFile(tarNoManifest, await writeTarGz([{ path: 'x/readme.txt', data: Buffer.from('hi') }], NOW));
    await expect(verifyPack(tarNoManifest)).rejects.toThrow(/not a kdrill evidence pack: it has no manifest.json/);
    const gzNotTar = join(dir, 'not-tar.gz');
    await writeFile(gzNotTar, (await import('node:zlib')).gzipSync(Buffer.from('just some text, not a tar')));
    await expect(verifyPack(gzNotTar)).rejects.toMatchObject({ code: 'NOT_A_PACK', exitCode: 2 });
    // a byte of the compressed stream itself: gzip's own check fails
    const raw = Buffer.from(await readFile(pack));
    raw[raw.length >> 1] = raw[raw.length >> 1]! ^ 0xff;
    const damaged = join(dir, 'damaged.tar.gz');
    await writeFile(damaged, raw);
    const r = await verifyPack(damaged);
    expect(r.intact).toBe(false);
    expect(r.problems[0]).toMatchObject({ what: 'pack', message: expect.stringMatching(/^the pack is damaged/) });
  });
});

describe('what a pack refuses to seal', () => {
  it("the lab's S3 credentials are never in a pack; a report holding one stops the pack (exit 4)", async () => {
    const { pack, dir } = await signedPack();
    // the run directory holds them, beside the reports
    expect(await readFile(join(dir, 'lab', 's3-credentials'), 'utf8')).toContain(LAB_SECRET);
    const inflated = gunzipSync(await readFile(pack));
    expect(inflated.includes(LAB_SECRET)).toBe(false);
    expect(inflated.includes(LAB_KEY_ID)).toBe(false);
    expect((await readTarGz(await readFile(pack))).map((e) => e.path).filter((p) => p.includes('/lab/'))).toEqual([]);
    const leaky = await syntheticRun(
      join(await tmp('kdrill-leak-'), 'report'),
      sampleResult({ notes: [`debug: aws_secret_access_key=${LAB_SECRET}`] }),
    );
    await expect(packRun({ runDir: leaky, now: NOW, warn: () => undefined })).rejects.toMatchObject({
      code: 'PACK_HOLDS_SECRET',
      exitCode: 4,
      message: expect.stringMatching(/^summary\.md holds a secret|^result\.json holds a secret/),
    });
    expect(await stat(join(leaky, 'kdrill-evidence-namespace-loss-a1b2c3d4.tar.gz')).catch(() => undefined)).toBe(
      undefined,
    );
    // and the environment's
    const envLeak = await syntheticRun(join(await tmp('kdrill-leak-'), 'report'));
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret-value-987654321';
    try {
      await writeFile(join(envLeak, 'lint.md'), 'token env-secret-value-987654321\n');
      await expect(packRun({ runDir: envLeak, now: NOW, warn: () => undefined })).rejects.toThrow(
        /lint\.md holds a secret \(from \$AWS_SECRET_ACCESS_KEY\)/,
      );
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('a journal edited before packing: no pack (exit 3), naming the record', async () => {
    const dir = await syntheticRun(join(await tmp('kdrill-edited-'), 'report'));
    const file = join(dir, 'journal.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"ok":true', '"ok":false'));
    await expect(packRun({ runDir: dir, now: NOW, warn: () => undefined })).rejects.toMatchObject({
      code: 'JOURNAL_CHAIN_BROKEN',
      exitCode: 3,
      message: expect.stringMatching(/breaks at record 4 \(inject-started/),
    });
  });

  it('a directory that is no run: exit 2', async () => {
    const dir = await tmp('kdrill-empty-');
    await expect(packRun({ runDir: dir, now: NOW, warn: () => undefined })).rejects.toMatchObject({
      code: 'NOT_A_RUN_DIR',
      exitCode: 2,
    });
  });
});

describe('kdrill evidence keygen', () => {
  it('writes <prefix>.key (0600) and <prefix>.pub, never over an existing key', async () => {
    const d = await tmp('kdrill-keygen-');
    const k = generateKeys(join(d, 'k'));
    expect((await stat(k.keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(k.pubFile)).mode & 0o777).toBe(0o644);
    expect(await readFile(k.keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await readFile(k.pubFile, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const priv = loadPrivateKey(k.keyFile, () => undefined);
    expect(priv.asymmetricKeyType).toBe('ed25519');
    expect(keyId(priv)).toBe(keyId(loadPublicKey(k.pubFile)));
    expect(() => generateKeys(join(d, 'k'))).toThrow(/already exists/);
    expect(() => loadPrivateKey(k.pubFile, () => undefined)).toThrow(/is not an Ed25519 private key/);
  });
});
