import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** What one GET got: the status, and the body up to BODY_CAP bytes (enough for a readiness page). */
export interface Answer {
  status: number;
  body: string;
}

/** A failure with the errno-style code the probe reports (ECONNREFUSED, ECONNRESET, EPROTO …). */
export class GetError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const BODY_CAP = 64 * 1024;
const HEAD_CAP = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/**
 * One HTTP/1.1 response read off a byte stream: the status line and headers, then the body as its
 * framing says (RFC 9112 §6.3: no body for 1xx/204/304, chunked, Content-Length, or until close).
 * Interim 1xx responses are skipped.
 */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private status = 0;
  private framing?: Framing;
  private chunkLeft = -1;
  private inTrailer = false;
  private readonly body: Buffer[] = [];
  private bodyLen = 0;
  keepAlive = false;
  done = false;

  /** Feeds bytes; returns true once the response is complete. Throws GetError on a malformed one. */
  push(data: Buffer): boolean {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    while (!this.done) {
      if (!this.framing) {
        if (!this.readHead()) return false;
        continue;
      }
      if (!this.readBody()) return false;
    }
    return true;
  }

  /** The connection ended: a close-framed body is complete; anything else was cut off. */
  end(): boolean {
    if (this.framing?.kind === 'close') return (this.done = true);
    return this.done;
  }

  answer(): Answer {
    return { status: this.status, body: Buffer.concat(this.body).toString('utf8') };
  }

  private readHead(): boolean {
    const at = this.buf.indexOf(CRLF2);
    if (at < 0) {
      if (this.buf.length > HEAD_CAP) throw new GetError('EPROTO', 'response headers too large');
      return false;
    }
    const lines = this.buf.subarray(0, at).toString('latin1').split('\r\n');
    this.buf = this.buf.subarray(at + 4);
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new GetError('EPROTO', `not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
    const status = Number(m[2]);
    if (status >= 100 && status < 200) return true;
    const h = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0)
        h.set(
          l.slice(0, i).trim().toLowerCase(),
          l
            .slice(i + 1)
            .trim()
            .toLowerCase(),
        );
    }
    this.status = status;
    const conn = h.get('connection') ?? '';
    this.keepAlive = m[1] === '1' ? !conn.includes('close') : conn.includes('keep-alive');
    this.framing = this.framingOf(status, h);
    if (this.framing.kind === 'close') this.keepAlive = false;
    if (this.framing.kind === 'none') this.done = true;
    return true;
  }

  private framingOf(status: number, h: Map<string, string>): Framing {
    if (status === 204 || status === 304) return { kind: 'none' };
    if (h.get('transfer-encoding')?.split(',').pop()?.trim() === 'chunked') return { kind: 'chunked' };
    const len = h.get('content-length');
    if (len !== undefined) {
      if (!/^\d+$/.test(len)) throw new GetError('EPROTO', `bad Content-Length ${JSON.stringify(len)}`);
      return Number(len) === 0 ? { kind: 'none' } : { kind: 'length', left: Number(len) };
    }
    return { kind: 'close' };
  }

  private keep(b: Buffer): void {
    if (this.bodyLen >= BODY_CAP) return;
    const part = b.subarray(0, BODY_CAP - this.bodyLen);
    this.body.push(part);
    this.bodyLen += part.length;
  }

  private readBody(): boolean {
    const f = this.framing!;
    if (f.kind === 'close') {
      this.keep(this.buf);
      this.buf = Buffer.alloc(0);
      return false;
    }
    if (f.kind === 'length') {
      const take = Math.min(f.left, this.buf.length);
      this.keep(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      f.left -= take;
      if (f.left === 0) this.done = true;
      return this.done;
    }
    return this.readChunk();
  }

  /** One step of a chunked body: a size line, its data and CRLF, or a trailer line. */
  private readChunk(): boolean {
    if (this.chunkLeft < 0 || this.inTrailer) {
      const nl = this.buf.indexOf('\r\n');
      if (nl < 0) {
        if (this.buf.length > HEAD_CAP) throw new GetError('EPROTO', 'chunk size line too long');
        return false;
      }
      const line = this.buf.subarray(0, nl).toString('latin1');
      this.buf = this.buf.subarray(nl + 2);
      if (this.inTrailer) {
        if (line === '') this.done = true;
        return true;
      }
      const size = /^([0-9a-fA-F]+)/.exec(line);
      if (!size) throw new GetError('EPROTO', `bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
      this.chunkLeft = parseInt(size[1]!, 16);
      if (this.chunkLeft === 0) this.inTrailer = true;
      return true;
    }
    if (this.buf.length < this.chunkLeft + 2) return false;
    this.keep(this.buf.subarray(0, this.chunkLeft));
    this.buf = this.buf.subarray(this.chunkLeft + 2);
    this.chunkLeft = -1;
    return true;
  }
}

/**
 * GETs of one URL over one kept-alive connection, one at a time. Sampling at 10 Hz must cost next to
 * nothing: Node's http client alone spends about a core-percent on it here (npm run bench -- detect),
 * a request written on a socket that is already open about a tenth of that. A connection the server
 * closed while idle is opened again once, so a keep-alive timeout never reads as an outage.
 */
export class KeptAliveGetter {
  private socket?: Socket;
  private readonly request: Buffer;
  private readonly host: string;
  private readonly port: number;
  private readonly https: boolean;

  constructor(url: URL) {
    this.https = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port) || (this.https ? 443 : 80);
    const auth = url.username
      ? `Authorization: Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}\r\n`
      : '';
    this.request = Buffer.from(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: kdrill-availability\r\nAccept: */*\r\n${auth}\r\n`,
      'latin1',
    );
  }

  /** One GET; `cancel` is set to a function that gives up on it (the caller's deadline). */
  get(onCancel: (cancel: () => void) => void): Promise<Answer> {
    const reused = !!this.socket;
    return this.once(onCancel).catch((e: unknown) => {
      if (reused && e instanceof GetError && e.code === 'ERETRY') return this.once(onCancel);
      throw e;
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    const s = this.https
      ? tlsConnect({ host: this.host, port: this.port, servername: isIP(this.host) ? undefined : this.host })
      : netConnect({ host: this.host, port: this.port });
    s.setNoDelay(true);
    // between GETs nothing listens: an error or close there only means the next GET opens a new connection
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.socket === s) this.socket = undefined;
    });
    return s;
  }

  private once(onCancel: (cancel: () => void) => void): Promise<Answer> {
    const fresh = !this.socket;
    const s = (this.socket ??= this.open());
    const reader = new ResponseReader();
    let got = false;
    return new Promise<Answer>((resolve, reject) => {
      const finish = (e?: Error): void => {
        s.off('data', onData).off('error', onError).off('close', onClose);
        // an idle kept-alive socket must not keep the process up
        s.unref();
        if (e || !reader.keepAlive) {
          s.destroy();
          if (this.socket === s) this.socket = undefined;
        }
        if (e) reject(e);
        else resolve(reader.answer());
      };
      const onData = (d: Buffer): void => {
        got = true;
        try {
          if (reader.push(d)) finish();
        } catch (e) {
          finish(e as Error);
        }
      };
      const onError = (e: NodeJS.ErrnoException): void =>
        finish(!fresh && !got ? new GetError('ERETRY', e.message) : new GetError(e.code ?? 'ERROR', e.message));
      const onClose = (): void => {
        if (reader.end()) return finish();
        finish(
          !fresh && !got
            ? new GetError('ERETRY', 'the kept-alive connection was closed')
            : new GetError('ECONNRESET', got ? 'the answer was cut off' : 'socket hang up'),
        );
      };
      s.ref();
      s.on('data', onData).on('error', onError).on('close', onClose);
      onCancel(() => finish(new GetError('ETIMEDOUT', 'cancelled')));
      s.write(this.request);
    });
  }
}
