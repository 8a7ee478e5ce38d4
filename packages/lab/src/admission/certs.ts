import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServingCert {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A CA and a serving certificate for 127.0.0.1, made with openssl: a real apiserver calls webhooks
 * over HTTPS only and checks them against the caBundle. Reused when the dir already has them.
 */
export async function servingCert(dir: string): Promise<ServingCert> {
  await mkdir(dir, { recursive: true });
  const made = await readCerts(dir);
  if (made) return made;
  const openssl = async (...args: string[]): Promise<void> => {
    await run('openssl', args, { cwd: dir });
  };
  // a self-signed CA, then a key and a request for the server, signed by the CA for 127.0.0.1
  const ca = ['-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=kdrill-lab-webhook-ca'];
  await openssl('req', '-x509', ...ca, '-keyout', 'ca.key', '-out', 'ca.crt');
  await writeFile(
    join(dir, 'tls.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  const key = ['-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kdrill-lab-webhook'];
  await openssl('req', ...key, '-keyout', 'tls.key', '-out', 'tls.csr');
  const sign = ['-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650'];
  await openssl('x509', '-req', ...sign, '-extfile', 'tls.ext', '-out', 'tls.crt');
  return servingCert(dir);
}

/** The certificates already in the dir, or undefined when they are not made yet. */
async function readCerts(dir: string): Promise<ServingCert | undefined> {
  const p = (f: string): string => join(dir, f);
  try {
    return {
      caPem: await readFile(p('ca.crt'), 'utf8'),
      certPem: await readFile(p('tls.crt'), 'utf8'),
      keyPem: await readFile(p('tls.key'), 'utf8'),
    };
  } catch {
    return undefined;
  }
}
