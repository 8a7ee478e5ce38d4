import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * Sends a request on to `target` as it came, and its answer back: for servers put in front of the embedded
 * S3 (to throttle, to terminate TLS, to hold connections). Headers go unchanged: Host is part of the
 * signature.
 */
export function forward(target: URL, req: IncomingMessage, res: ServerResponse): void {
  const up = request(
    { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  req.pipe(up);
}
