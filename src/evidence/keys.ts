import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { isDrillError, usageError } from '../errors.js';
import { sha256 } from './manifest.js';

/** A key's id: the SHA-256 of its public key (SPKI, DER), so a private and its public key share it. */
export const keyId = (k: KeyObject): string =>
  sha256((k.type === 'public' ? k : createPublicKey(k)).export({ type: 'spki', format: 'der' }));

/** The first 16 hex digits: enough to tell keys apart on a screen. */
export const shortId = (id: string): string => id.slice(0, 16);

/**
 * `kdrill evidence keygen <prefix>`: an Ed25519 key pair, `<prefix>.key` (PKCS#8 PEM, mode 0600) and
 * `<prefix>.pub` (SPKI PEM). Existing files are never overwritten: a lost signing key cannot be undone.
 */
export function generateKeys(prefix: string): { keyFile: string; pubFile: string; keyId: string } {
  const keyFile = `${prefix}.key`;
  const pubFile = `${prefix}.pub`;
  for (const f of [keyFile, pubFile])
    if (existsSync(f)) throw usageError(`${f} already exists`, 'choose another prefix, or move the old key away first');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  // the umask can only take bits away, but say it in the file system, not only in the call
  chmodSync(keyFile, 0o600);
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return { keyFile, pubFile, keyId: keyId(publicKey) };
}

function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw usageError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const notEd25519 = (file: string, what: string) =>
  usageError(`${file} is not an Ed25519 ${what}`, 'make a key pair with: kdrill evidence keygen <prefix>');

/** The signing key; a key others can read is said (as ssh would), not silently used. */
export function loadPrivateKey(file: string, warn: (m: string) => void): KeyObject {
  let k: KeyObject;
  try {
    k = createPrivateKey(readKeyFile(file, 'the signing key'));
  } catch (e) {
    if (isDrillError(e)) throw e;
    throw notEd25519(file, 'private key');
  }
  if (k.asymmetricKeyType !== 'ed25519') throw notEd25519(file, 'private key');
  if ((statSync(file).mode & 0o077) !== 0) warn(`${file} can be read by others: chmod 600 ${file}`);
  return k;
}

/** A public key from a file (or, for a pack's own key, from PEM text); undefined when the text is no Ed25519 key. */
export function publicKeyFrom(pem: string): KeyObject | undefined {
  try {
    const k = createPublicKey(pem);
    return k.asymmetricKeyType === 'ed25519' ? k : undefined;
  } catch {
    return undefined;
  }
}

export function loadPublicKey(file: string): KeyObject {
  const k = publicKeyFrom(readKeyFile(file, 'the public key'));
  if (!k) throw notEd25519(file, 'public key');
  return k;
}

export const signBytes = (data: Buffer, key: KeyObject): string => sign(null, data, key).toString('base64');

/** Whether `signature` (base64) is `key`'s signature of `data`; a malformed one is simply not. */
export function signatureValid(data: Buffer, signature: string, key: KeyObject): boolean {
  try {
    const sig = Buffer.from(signature, 'base64');
    return sig.length === 64 && sig.toString('base64') === signature && verify(null, data, key, sig);
  } catch {
    return false;
  }
}
