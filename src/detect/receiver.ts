import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrillError, ExitCode } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { matches, type Matcher } from './matchers.js';

/** One alert of a webhook notification, as it reached kdrill. */
export interface Notified {
  labels: Record<string, string>;
  status: 'firing' | 'resolved';
  startsAt?: string;
  receivedAt: string;
}

const MAX_BODY = 4 * 1024 * 1024;

/**
 * kdrill's receiver for Alertmanager's webhook (webhook_configs, payload version 4): the moment a
 * notification reaches it is the time to page. It answers 200 to whatever Alertmanager sends, so a
 * notification is never retried because of kdrill.
 */
export class WebhookReceiver {
  readonly notified: Notified[] = [];
  url = '';
  private readonly server: Server;
  private readonly clock: Clock;

  private constructor(clock: Clock) {
    this.clock = clock;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      req.on('end', () => {
        if (req.method === 'POST') this.take(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  /** Listens on `host:port`; a port already taken is a precondition, before anything is touched. */
  static async start(listen: string, clock: Clock): Promise<WebhookReceiver> {
    const r = new WebhookReceiver(clock);
    const i = listen.lastIndexOf(':');
    const host = listen.slice(0, i);
    const port = Number(listen.slice(i + 1));
    await new Promise<void>((resolve, reject) => {
      r.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new DrillError(
            'DETECT_RECEIVER_UNAVAILABLE',
            `kdrill cannot listen on ${listen} for Alertmanager's notifications: ${e.code ?? e.message}`,
            ExitCode.Precondition,
            {
              hint: 'pick another detect.receiver.listen (and point the webhook_configs url at it), or stop what holds the port',
            },
          ),
        ),
      );
      r.server.listen(port, host, () => resolve());
    });
    const a = r.server.address() as AddressInfo;
    r.url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
    return r;
  }

  private take(text: string): void {
    let body: { alerts?: { status?: string; labels?: Record<string, string>; startsAt?: string }[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return;
    }
    const at = this.clock.now().toISOString();
    for (const a of body.alerts ?? [])
      if (a.labels)
        this.notified.push({
          labels: a.labels,
          status: a.status === 'resolved' ? 'resolved' : 'firing',
          startsAt: a.startsAt,
          receivedAt: at,
        });
  }

  /** The first firing notification of an alert matching `ms`, not one of `before` (labels keys seen before the disaster). */
  first(ms: Matcher[], accept: (labels: Record<string, string>) => boolean): Notified | undefined {
    return this.notified.find((n) => n.status === 'firing' && matches(n.labels, ms) && accept(n.labels));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
