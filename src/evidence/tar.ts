import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';

/** One file of a pack, in memory: packs are small (reports, a journal), and verifying never writes to disk. */
export interface PackEntry {
  path: string;
  data: Buffer;
  /** Anything but a regular file is a problem for verify to name. */
  type?: string;
}

/** The most a pack may inflate to: far above any run's evidence, far below what would exhaust memory. */
export const MAX_PACK_BYTES = 256 * 1024 * 1024;

/** Why a file could not be read as a tar.gz: not gzip at all, gzip whose data fails its check, or not a tar. */
export class TarReadError extends Error {
  readonly kind: 'not-gzip' | 'damaged' | 'not-tar' | 'too-large';
  constructor(kind: TarReadError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Writes the entries, in order, as one .tar.gz (regular files, mode 0644, owned by no one in particular). */
export async function writeTarGz(entries: PackEntry[], mtime: Date): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const e of entries)
    await new Promise<void>((resolve, reject) =>
      p.entry({ name: e.path, size: e.data.length, mode: 0o644, mtime, type: 'file', uid: 0, gid: 0 }, e.data, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

function inflate(gz: Buffer): Buffer {
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw new TarReadError('not-gzip', 'it is not gzip data');
  try {
    return gunzipSync(gz, { maxOutputLength: MAX_PACK_BYTES });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new TarReadError('too-large', `it inflates to more than ${MAX_PACK_BYTES / 1024 / 1024} MiB`);
    throw new TarReadError('damaged', `its compressed data fails its check (${err.message})`);
  }
}

/** Reads every entry of a .tar.gz into memory. */
export async function readTarGz(gz: Buffer): Promise<PackEntry[]> {
  const tar = inflate(gz);
  const ex = extract();
  const out: PackEntry[] = [];
  Readable.from([tar]).pipe(ex);
  try {
    for await (const entry of ex) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      const path = (entry.header as { pax?: { path?: string } }).pax?.path ?? entry.header.name;
      out.push({ path, data: Buffer.concat(parts), type: entry.header.type ?? 'file' });
    }
  } catch (e) {
    throw new TarReadError('not-tar', `it is not a tar archive (${(e as Error).message})`);
  }
  return out;
}
