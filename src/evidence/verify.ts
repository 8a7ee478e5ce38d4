import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { DrillError, ExitCode } from '../errors.js';
import { checkChain, describeBreak } from './chain.js';
import { keyId, publicKeyFrom, shortId, signatureValid } from './keys.js';
import { MANIFEST, PACK_KIND, SIGNATURE, sha256, type Manifest, type SignatureFile } from './manifest.js';
import { readTarGz, TarReadError, type PackEntry } from './tar.js';

/** One thing verify found changed, named by what it is in. */
export interface Problem {
  what: 'pack' | 'file' | 'manifest' | 'signature' | 'key' | 'journal';
  path?: string;
  message: string;
}

export interface VerifyReport {
  file: string;
  intact: boolean;
  problems: Problem[];
  manifest?: Manifest;
  files: number;
  /** Who signed it; `trusted` only when checked against the --pub the auditor holds. */
  signer?: { keyId: string; trusted: boolean };
  journal?: { records: number };
}

function notAPack(file: string, why: string): DrillError {
  return new DrillError('NOT_A_PACK', `${file} is not a kdrill evidence pack: ${why}`, ExitCode.Usage, {
    hint: 'give the .tar.gz that `kdrill evidence pack <run dir>` wrote',
  });
}

/** The pack's entries by their path inside its one top-level directory. */
function entriesOf(file: string, raw: PackEntry[], problems: Problem[]): Map<string, PackEntry> {
  const tops = new Set(raw.map((e) => e.path.replace(/^\.\//, '').split('/')[0]));
  if (tops.size !== 1) throw notAPack(file, 'its files are not in one directory');
  const out = new Map<string, PackEntry>();
  for (const e of raw) {
    const path = e.path.replace(/^\.\//, '').split('/').slice(1).join('/');
    if (e.type === 'directory' && !path.replace(/\/$/, '')) continue;
    if (e.type !== 'file') problems.push({ what: 'pack', path, message: `${path} is not a regular file (${e.type})` });
    else if (out.has(path)) problems.push({ what: 'pack', path, message: `${path} is in the pack twice` });
    else out.set(path, e);
  }
  return out;
}

function parseJson<T>(e: PackEntry | undefined): T | undefined {
  try {
    return e ? (JSON.parse(e.data.toString('utf8')) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Every file against the manifest: changed, missing, or added. */
function checkFiles(m: Manifest, entries: Map<string, PackEntry>, problems: Problem[]): void {
  const listed = new Set<string>([MANIFEST, SIGNATURE]);
  for (const f of m.files ?? []) {
    listed.add(f.path);
    const e = entries.get(f.path);
    if (!e) problems.push({ what: 'file', path: f.path, message: `${f.path} is missing from the pack` });
    else if (sha256(e.data) !== f.sha256)
      problems.push({
        what: 'file',
        path: f.path,
        message: `${f.path} was changed: its SHA-256 is ${sha256(e.data).slice(0, 16)}…, the manifest says ${String(f.sha256).slice(0, 16)}…`,
      });
  }
  for (const path of entries.keys())
    if (!listed.has(path))
      problems.push({ what: 'file', path, message: `${path} is not in the manifest: it was added` });
}

/** The journal's own hash chain, and its head against the one the manifest sealed. */
function checkJournal(m: Manifest, entries: Map<string, PackEntry>, problems: Problem[]): number | undefined {
  const e = entries.get('journal.jsonl');
  if (!e) return undefined;
  const chain = checkChain(e.data.toString('utf8'));
  const broken = describeBreak(chain);
  if (broken) problems.push({ what: 'journal', path: 'journal.jsonl', message: `journal.jsonl: ${broken}` });
  else if (m.journal && (chain.head !== m.journal.head || chain.records !== m.journal.records))
    problems.push({
      what: 'journal',
      path: 'journal.jsonl',
      message: `journal.jsonl: its chain holds ${chain.records} record(s) ending in ${chain.head.slice(0, 16)}…, the manifest sealed ${m.journal.records} ending in ${String(m.journal.head).slice(0, 16)}…: records were added, removed or changed at its end`,
    });
  return chain.records;
}

export interface SignatureCheck {
  problems: Problem[];
  signer?: VerifyReport['signer'];
}

/**
 * The signature over manifest.json. Which key signed it (signature.json says, and its public key
 * proves) against --pub tells a wrong key from a changed signature, and the manifest's SHA-256 that
 * signature.json recorded tells a changed manifest from a changed signature.
 */
export function checkSignature(
  manifest: Buffer,
  sigEntry: PackEntry | undefined,
  signed: Manifest['signed'],
  pub?: KeyObject,
): SignatureCheck {
  if (!sigEntry) {
    if (signed)
      return {
        problems: [sigProblem(`signature.json is missing: the manifest says key ${shortId(signed.keyId)} signed it`)],
      };
    return { problems: pub ? [sigProblem('the pack is not signed: --pub cannot vouch for it')] : [] };
  }
  const sig = parseJson<SignatureFile>(sigEntry);
  if (!sig || sig.alg !== 'ed25519' || typeof sig.signature !== 'string' || typeof sig.keyId !== 'string')
    return { problems: [sigProblem('signature.json was changed: it is not an Ed25519 signature record')] };
  const problems: Problem[] = [];
  const own = typeof sig.publicKey === 'string' ? publicKeyFrom(sig.publicKey) : undefined;
  const ownId = own ? keyId(own) : undefined;
  if (ownId !== sig.keyId) problems.push(sigProblem("signature.json was changed: its key id is not its public key's"));
  const pubId = pub ? keyId(pub) : undefined;
  const wrongKey = pub !== undefined && ownId === sig.keyId && sig.keyId !== pubId;
  if (wrongKey)
    problems.push({
      what: 'key',
      message: `wrong key: the pack was signed by key ${shortId(sig.keyId)}, and --pub is key ${shortId(pubId!)}`,
    });
  const verifier = wrongKey ? own : (pub ?? own);
  const valid = verifier !== undefined && signatureValid(manifest, sig.signature, verifier);
  if (!valid)
    problems.push(
      sha256(manifest) !== sig.manifestSha256
        ? { what: 'manifest', path: MANIFEST, message: 'manifest.json was changed after it was signed' }
        : sigProblem('signature.json was changed: its signature does not verify over manifest.json'),
    );
  else if (sha256(manifest) !== sig.manifestSha256)
    problems.push(sigProblem("signature.json was changed: the manifest's SHA-256 it recorded"));
  if (signed && signed.keyId !== sig.keyId)
    problems.push({ what: 'manifest', path: MANIFEST, message: 'manifest.json names another signing key' });
  return { problems, signer: { keyId: sig.keyId, trusted: !!pub && valid && !wrongKey } };
}

const sigProblem = (message: string): Problem => ({ what: 'signature', path: SIGNATURE, message });

/** The pack's entries; or, for gzip that fails its own check (it was something once), what is damaged. */
async function readPack(file: string): Promise<PackEntry[] | { damaged: string }> {
  let gz: Buffer;
  try {
    gz = await readFile(file);
  } catch (e) {
    throw new DrillError(
      'PACK_UNREADABLE',
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`,
      ExitCode.Usage,
    );
  }
  try {
    return await readTarGz(gz);
  } catch (e) {
    if (!(e instanceof TarReadError)) throw e;
    if (e.kind === 'damaged') return { damaged: e.message };
    throw notAPack(file, e.message);
  }
}

/** `kdrill evidence verify FILE [--pub P]`: every file, the manifest, the signature and the journal's chain. */
export async function verifyPack(file: string, pub?: KeyObject): Promise<VerifyReport> {
  const raw = await readPack(file);
  if (!Array.isArray(raw))
    return {
      file,
      intact: false,
      files: 0,
      problems: [{ what: 'pack', message: `the pack is damaged: ${raw.damaged}` }],
    };
  const problems: Problem[] = [];
  const entries = entriesOf(file, raw, problems);
  const mEntry = entries.get(MANIFEST);
  if (!mEntry) throw notAPack(file, 'it has no manifest.json');
  const m = parseJson<Manifest>(mEntry);
  if (m && m.kind !== PACK_KIND) throw notAPack(file, `its manifest.json is not a ${PACK_KIND}`);
  if (!m)
    problems.push({ what: 'manifest', path: MANIFEST, message: 'manifest.json was changed: it is not valid JSON' });
  const sig = checkSignature(mEntry.data, entries.get(SIGNATURE), m?.signed, pub);
  problems.push(...sig.problems);
  let records: number | undefined;
  if (m) {
    checkFiles(m, entries, problems);
    records = checkJournal(m, entries, problems);
  }
  return {
    file,
    intact: problems.length === 0,
    problems,
    manifest: m,
    files: entries.size,
    signer: sig.signer,
    ...(records !== undefined ? { journal: { records } } : {}),
  };
}

/** What verify prints: one line per problem, each naming what changed; or what was checked. */
export function renderVerify(r: VerifyReport): string {
  if (!r.intact)
    return `${r.file}: CHANGED (${r.problems.length} problem(s))\n${r.problems.map((p) => `  - ${p.message}\n`).join('')}`;
  const m = r.manifest!;
  const signer = r.signer
    ? r.signer.trusted
      ? `signed by key ${shortId(r.signer.keyId)} (the --pub given)`
      : `signed by key ${shortId(r.signer.keyId)}, NOT checked against a key you trust: pass --pub <signer>.pub`
    : 'not signed: only the manifest vouches for the files';
  return [
    `${r.file}: intact`,
    `  run ${m.run.runId} of ${m.run.scenario}: ${m.run.verdict.toUpperCase()} (exit ${m.run.exitCode}), ${m.run.startedAt} – ${m.run.endedAt}`,
    `  ${m.files.length} file(s) match manifest.json; journal chain of ${r.journal?.records ?? 0} record(s) whole`,
    `  ${signer}`,
    '',
  ].join('\n');
}
