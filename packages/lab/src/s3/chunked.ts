/**
 * Decodes an aws-chunked body (`<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n`),
 * which the AWS SDK sends for streamed uploads with a trailing checksum. Returns data and trailers.
 */
export function decodeAwsChunked(buf: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) throw new Error('malformed aws-chunked body');
    const size = parseInt(buf.subarray(i, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new Error('malformed aws-chunked size');
    i = eol + 2;
    if (size === 0) break;
    parts.push(buf.subarray(i, i + size));
    i += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of buf.subarray(i).toString('latin1').split('\r\n')) {
    const c = line.indexOf(':');
    if (c > 0) trailers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  return { data: Buffer.concat(parts), trailers };
}
