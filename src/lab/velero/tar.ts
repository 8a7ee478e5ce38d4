import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * A minimal tar (ustar, with PAX headers for long paths) writer and reader: enough for Velero's
 * backup tarball, `<backup>.tar.gz`, which holds JSON files only.
 */
function header(name: string, size: number, type: '0' | 'x', mtime: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${Math.floor(mtime / 1000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148); // checksum placeholder: spaces while summing
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

export function tarGz(files: { path: string; data: Buffer | string }[], mtime = Date.now()): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = typeof f.data === 'string' ? Buffer.from(f.data) : f.data;
    if (Buffer.byteLength(f.path) > 100) {
      // PAX extended header: "<len> path=<path>\n", where len counts itself
      const rec = (len: number): string => `${len} path=${f.path}\n`;
      let len = Buffer.byteLength(rec(0));
      while (Buffer.byteLength(rec(len)) !== len) len = Buffer.byteLength(rec(len));
      const pax = Buffer.from(rec(len));
      parts.push(header('PaxHeaders/entry', pax.length, 'x', mtime), pax, pad(pax.length));
    }
    parts.push(header(f.path, data.length, '0', mtime), data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

export class TarError extends Error {}

export function untarGz(gz: Buffer): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz);
  } catch (e) {
    throw new TarError(`not a gzip file: ${(e as Error).message}`);
  }
  const out = new Map<string, Buffer>();
  let i = 0;
  let longName: string | undefined;
  while (i + 512 <= tar.length) {
    const h = tar.subarray(i, i + 512);
    if (h.every((b) => b === 0)) break;
    if (h.subarray(257, 262).toString() !== 'ustar') throw new TarError('not a tar archive');
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const data = tar.subarray(i + 512, i + 512 + size);
    if (data.length < size) throw new TarError('truncated tar archive');
    i += 512 + size + ((512 - (size % 512)) % 512);
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      longName = m?.[1];
      continue;
    }
    if (type === '0' || type === '\0') out.set(longName ?? (prefix ? `${prefix}/${name}` : name), Buffer.from(data));
    longName = undefined;
  }
  return out;
}
