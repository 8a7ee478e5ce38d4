import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An alert the fake holds: firing from `at()` on (undefined: not yet), as Alertmanager or Prometheus would show it. */
export interface FakeAlert {
  labels: Record<string, string>;
  /** When it starts firing; it is listed once the fake's clock has reached that. */
  at: () => Date | undefined;
  state?: 'active' | 'suppressed';
  /** Prometheus mode: the rule's `for`, in seconds (activeAt = at − for). */
  forSeconds?: number;
}

/**
 * Alertmanager's API v2 (`GET /api/v2/alerts`) and, for the Prometheus source, Prometheus's rules
 * API (`GET /api/v1/rules`), on 127.0.0.1:0, over alerts a test schedules against its own clock.
 * `webhook` makes it post each alert, once it fires, to kdrill's receiver, as Alertmanager's
 * webhook_configs would.
 */
export class FakeAlertmanager {
  readonly alerts: FakeAlert[] = [];
  url = '';
  requests = 0;
  /** Answer every request with this status instead (a broken source). */
  failWith?: number;
  webhook?: string;
  private readonly posted = new Set<FakeAlert>();
  private readonly server: Server;
  private readonly now: () => Date;

  constructor(now: () => Date) {
    this.now = now;
    this.server = createServer((req, res) => {
      this.requests++;
      if (this.failWith) return void res.writeHead(this.failWith).end('broken\n');
      const firing = this.alerts.filter((a) => {
        const at = a.at();
        return at !== undefined && at.getTime() <= this.now().getTime();
      });
      if (req.url?.startsWith('/api/v2/alerts')) {
        void this.post(firing);
        return void res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify(firing.map(gettable)));
      }
      if (req.url?.startsWith('/api/v1/rules'))
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(rules(firing)));
      res.writeHead(404).end('not found\n');
    });
  }

  /** Watchdog, firing since long before the test. */
  withWatchdog(): this {
    this.alerts.push({ labels: { alertname: 'Watchdog', severity: 'none' }, at: () => new Date(0) });
    return this;
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private async post(firing: FakeAlert[]): Promise<void> {
    if (!this.webhook) return;
    const fresh = firing.filter((a) => !this.posted.has(a) && a.state !== 'suppressed');
    if (!fresh.length) return;
    for (const a of fresh) this.posted.add(a);
    await fetch(this.webhook, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        status: 'firing',
        receiver: 'kdrill',
        alerts: fresh.map((a) => ({ status: 'firing', labels: a.labels, startsAt: a.at()!.toISOString() })),
      }),
    }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

const gettable = (a: FakeAlert) => ({
  labels: a.labels,
  annotations: {},
  startsAt: a.at()!.toISOString(),
  endsAt: new Date(a.at()!.getTime() + 3600_000).toISOString(),
  updatedAt: a.at()!.toISOString(),
  fingerprint: Object.values(a.labels).join('-'),
  receivers: [{ name: 'kdrill' }],
  status: { state: a.state ?? 'active', silencedBy: [], inhibitedBy: [] },
});

function rules(firing: FakeAlert[]) {
  const byName = new Map<string, FakeAlert[]>();
  for (const a of firing) byName.set(a.labels.alertname!, [...(byName.get(a.labels.alertname!) ?? []), a]);
  return {
    status: 'success',
    data: {
      groups: [
        {
          name: 'fake',
          rules: [...byName].map(([name, as]) => ({
            type: 'alerting',
            name,
            duration: as[0]!.forSeconds ?? 0,
            alerts: as.map((a) => ({
              labels: a.labels,
              state: 'firing',
              activeAt: new Date(a.at()!.getTime() - (a.forSeconds ?? 0) * 1000).toISOString(),
            })),
          })),
        },
      ],
    },
  };
}
