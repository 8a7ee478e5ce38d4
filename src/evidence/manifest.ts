import { createHash } from 'node:crypto';

export const PACK_KIND = 'kdrill-evidence-pack';
export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'signature.json';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
  /** What the file is, for the auditor who opens the pack. */
  what: string;
}

/** manifest.json: every file's SHA-256, what ran, and the journal's chain head. The signature is over its bytes. */
export interface Manifest {
  kind: typeof PACK_KIND;
  v: 1;
  createdAt: string;
  packedBy: string;
  run: {
    runId: string;
    scenario: string;
    mode: string;
    verdict: string;
    exitCode: number;
    startedAt: string;
    endedAt: string;
    context: string;
    recoveryContext: string;
  };
  files: ManifestFile[];
  /** The journal's records and the SHA-256 of its last line: the head of its hash chain. */
  journal: { records: number; head: string };
  /** Each control and how far this run evidences it (the detail is in controls.json). */
  controls: { id: string; status: string }[];
  /** Present when the pack is signed: which key signed it. */
  signed?: { alg: 'ed25519'; keyId: string };
}

/** signature.json: an Ed25519 signature over the exact bytes of manifest.json, and the key that made it. */
export interface SignatureFile {
  alg: 'ed25519';
  keyId: string;
  manifestSha256: string;
  /** base64 */
  signature: string;
  /** The signer's public key (SPKI PEM): without --pub, verify can check only that the pack is self-consistent. */
  publicKey: string;
}
