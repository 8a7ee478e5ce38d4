import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';

/** A backup tarball that cannot be read: not gzip, not tar, or cut short. */
export class TarballError extends Error {}

export type Visit = (path: string, read: () => Promise<Buffer>) => Promise<'stop' | void> | 'stop' | void;

/**
 * Walks a Velero backup tarball (`<backup>.tar.gz`) entry by entry, inflating only as far as needed:
 * `visit` returns 'stop' to end the walk, and the rest of the archive is never decompressed. An entry
 * whose body `visit` does not read is skipped without being kept in memory.
 */
export async function walkTarball(gz: Buffer | Readable, visit: Visit): Promise<void> {
  const source = Buffer.isBuffer(gz) ? Readable.from([gz]) : gz;
  const gunzip = createGunzip();
  const tar = extract();
  const failed = new Promise<never>((_, reject) => {
    const fail = (e: Error): void =>
      reject(
        new TarballError(
          e.message.includes('header') || e.message.includes('gzip')
            ? e.message
            : `cannot read the tarball: ${e.message}`,
        ),
      );
    gunzip.once('error', (e) => fail(new Error(`not a gzip file: ${e.message}`)));
    tar.once('error', fail);
    source.once('error', fail);
  });
  failed.catch(() => undefined); // observed below; never an unhandled rejection
  source.pipe(gunzip).pipe(tar);
  const walk = async (): Promise<void> => {
    try {
      for await (const entry of tar) {
        const path = (entry.header.pax as { path?: string } | undefined)?.path ?? entry.header.name;
        let body: Promise<Buffer> | undefined;
        const read = (): Promise<Buffer> => (body ??= collect(entry as AsyncIterable<Buffer>));
        const verdict = entry.header.type === 'file' ? await visit(path, read) : undefined;
        if (!body)
          entry.resume(); // drain what was not read, so the next header comes
        else await body;
        if (verdict === 'stop') break;
      }
    } finally {
      source.unpipe(gunzip);
      gunzip.destroy();
      tar.destroy();
    }
  };
  await Promise.race([walk(), failed]);
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** One file of the tarball, or undefined; stops at that entry. */
export async function readTarEntry(gz: Buffer | Readable, path: string): Promise<Buffer | undefined> {
  let found: Buffer | undefined;
  await walkTarball(gz, async (p, read) => {
    if (p !== path) return;
    found = await read();
    return 'stop';
  });
  return found;
}

/** Every file path in the tarball, in archive order, without reading any body. */
export async function tarballPaths(gz: Buffer | Readable): Promise<string[]> {
  const out: string[] = [];
  await walkTarball(gz, (p) => void out.push(p));
  return out;
}
