import { gzipSync } from 'node:zlib';
import { systemClock } from '../core.js';

/**
 * A minimal tar (ustar, with PAX headers for long paths) writer: enough for Velero's backup tarball,
 * `<backup>.tar.gz`, which holds JSON files only. It is read with the core's streaming reader
 * (src/backupstore/tarball.ts), as the drill reads it.
 */
function header(name: string, size: number, type: '0' | 'x', mtime: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(mtime / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
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

export function tarGz(files: { path: string; data: Buffer | string }[], mtime = systemClock.now().getTime()): Buffer {
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
