import { createPublicKey } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { VERSION } from '../cli/version.js';
import type { DrillResult } from '../drill/types.js';
import { DrillError, ExitCode } from '../errors.js';
import { checkChain, describeBreak, type ChainCheck } from './chain.js';
import { collectRun, type PackFile } from './collect.js';
import { keyId, loadPrivateKey, signBytes } from './keys.js';
import { MANIFEST, PACK_KIND, SIGNATURE, sha256, type Manifest, type SignatureFile } from './manifest.js';
import { controlsOf } from './mapping.js';
import { findSecret, knownSecrets } from './secrets.js';
import { packSummary } from './summary.js';
import { writeTarGz } from './tar.js';

export interface PackOptions {
  runDir: string;
  signKey?: string;
  out?: string;
  now: Date;
  warn: (m: string) => void;
}

const json = (v: unknown): Buffer => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);

// exit 3, as verify's: the evidence was changed
const TAMPERED = ExitCode.ObjectivesBreached;

function firstRecord(text: string): { runId?: unknown; kubeconfig?: unknown } {
  try {
    return JSON.parse(text.split('\n', 1)[0] ?? '') as { runId?: unknown; kubeconfig?: unknown };
  } catch {
    return {};
  }
}

/**
 * The journal must be whole and be this result's: a pack never seals evidence that was already edited.
 * Returns its chain and the kubeconfig the run used (its secrets must not be in the pack).
 */
function checkJournal(dir: string, r: DrillResult, journal: PackFile): { chain: ChainCheck; kubeconfig?: string } {
  const text = journal.data.toString('utf8');
  const chain = checkChain(text);
  const broken = describeBreak(chain);
  if (broken)
    throw new DrillError(
      'JOURNAL_CHAIN_BROKEN',
      `${dir}/journal.jsonl was changed after it was written: ${broken}`,
      TAMPERED,
      {
        hint: 'a pack seals evidence as it was written; this journal was not. Find out what changed (kdrill resume says it too)',
      },
    );
  const start = firstRecord(text);
  if (start.runId !== r.runId)
    throw new DrillError(
      'RESULT_NOT_OF_JOURNAL',
      `${dir}/result.json is not the result of the run its journal records`,
      TAMPERED,
      {
        hint: `result.json says run ${r.runId}; the journal's first record says ${String(start.runId)}`,
      },
    );
  return { chain, kubeconfig: typeof start.kubeconfig === 'string' ? start.kubeconfig : undefined };
}

function refuseSecrets(dir: string, files: PackFile[], kubeconfig?: string): void {
  const hit = findSecret(files, knownSecrets(dir, kubeconfig));
  if (hit)
    throw new DrillError(
      'PACK_HOLDS_SECRET',
      `${hit.path} holds a secret (from ${hit.source}): no pack was written`,
      ExitCode.Precondition,
      { hint: 'evidence must never carry credentials; this is a bug in whatever wrote that file, report it' },
    );
}

function manifestOf(r: DrillResult, files: PackFile[], chain: ChainCheck, now: Date, signer?: string): Manifest {
  return {
    kind: PACK_KIND,
    v: 1,
    createdAt: now.toISOString(),
    packedBy: `kdrill ${VERSION}`,
    run: {
      runId: r.runId,
      scenario: r.scenario,
      mode: String(r.mode),
      verdict: r.verdict,
      exitCode: r.exitCode,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      context: r.context,
      recoveryContext: r.recoveryContext,
    },
    files: files.map((f) => ({ path: f.path, sha256: sha256(f.data), bytes: f.data.length, what: f.what })),
    journal: { records: chain.records, head: chain.head },
    controls: (r.controls ?? []).map((c) => ({ id: c.id, status: c.status })),
    ...(signer ? { signed: { alg: 'ed25519' as const, keyId: signer } } : {}),
  };
}

/**
 * `kdrill evidence pack <run dir>`: one .tar.gz with the run's evidence, its controls and versions, and
 * manifest.json (the SHA-256 of every file), signed over the manifest when a key is given.
 */
export async function packRun(o: PackOptions): Promise<{ file: string; manifest: Manifest; keyId?: string }> {
  const dir = resolve(o.runDir);
  const run = await collectRun(dir);
  const r = run.result;
  const { chain, kubeconfig } = checkJournal(
    dir,
    r,
    run.files.find((f) => f.path === 'journal.jsonl')!,
  );
  const controls = controlsOf(r, run.scenario);
  const name = `kdrill-evidence-${r.scenario}-${r.runId}`;
  const file = resolve(o.out ?? join(dir, `${name}.tar.gz`));
  const files: PackFile[] = [
    {
      path: 'summary.md',
      data: Buffer.from(packSummary(r, controls, run.files, basename(file))),
      what: 'this summary',
    },
    { path: 'controls.json', data: json(controls), what: 'which controls the run evidences, and by what' },
    ...run.files,
  ];
  refuseSecrets(dir, files, kubeconfig);
  const key = o.signKey ? loadPrivateKey(o.signKey, o.warn) : undefined;
  const signer = key ? keyId(key) : undefined;
  const manifest = json(manifestOf({ ...r, controls }, files, chain, o.now, signer));
  const entries = [{ path: MANIFEST, data: manifest }];
  if (key) {
    const sig: SignatureFile = {
      alg: 'ed25519',
      keyId: signer!,
      manifestSha256: sha256(manifest),
      signature: signBytes(manifest, key),
      publicKey: createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string,
    };
    entries.push({ path: SIGNATURE, data: json(sig) });
  }
  const gz = await writeTarGz(
    [...entries, ...files].map((e) => ({ path: `${name}/${e.path}`, data: e.data })),
    o.now,
  );
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, gz, { mode: 0o644 });
  await rename(tmp, file);
  return { file, manifest: JSON.parse(manifest.toString()) as Manifest, keyId: signer };
}
