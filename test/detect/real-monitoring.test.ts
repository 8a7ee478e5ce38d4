import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitoringAvailable, monitoringBinaries } from '../../packages/lab/src/monitoring/binaries.js';
import { alertmanagerConfig } from '../../packages/lab/src/monitoring/config.js';
import { startMonitoring, type RunningMonitoring } from '../../packages/lab/src/monitoring/monitoring.js';
import { freePort, startServer } from '../../packages/lab/src/monitoring/process.js';
import { alertmanagerSource } from '../../src/detect/alertmanager.js';
import { checkHeartbeat } from '../../src/detect/heartbeat.js';
import { prometheusSource } from '../../src/detect/prometheus.js';
import { WebhookReceiver } from '../../src/detect/receiver.js';
import { detectionFindings, detectionResult } from '../../src/detect/result.js';
import { httpGetter } from '../../src/detect/source.js';
import { AlertWatch } from '../../src/detect/watch.js';
import type { KubeObject } from '../../src/kube/types.js';
import { detectSchema, type DetectSpec } from '../../src/scenario/detect-schema.js';
import { systemClock } from '../../src/time/clock.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

const skip = monitoringAvailable()
  ? undefined
  : 'skipped: /usr/bin/prometheus or /usr/bin/prometheus-alertmanager is not installed (apt-get install prometheus prometheus-alertmanager)';

// the lab's intervals and its rules' for: a new alert is scraped within 1s, pending at the next
// evaluation (1s), firing `for` (2s) later at an evaluation; slack for a loaded CI machine
const SCRAPE = 1;
const EVALUATION = 1;
const FOR = 2;
const SLACK = 3;

/** A namespace with a ready app: a Deployment, its pod, its Service. */
function app(ns: string): KubeObject[] {
  const labels = { app: 'web' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels } } },
      status: { replicas: 1, availableReplicas: 1, readyReplicas: 1 },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: ns, labels },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: labels } },
  ];
}

const spec = (expect: unknown[], extra: Record<string, unknown> = {}): DetectSpec =>
  detectSchema.parse({ source: { lab: 'alertmanager' }, expect, timeout: '30s', pollInterval: '100ms', ...extra });

describe.skipIf(skip !== undefined)(
  `the detect phase against the real Prometheus 2.42 and Alertmanager 0.25 of Debian${skip ? ` (${skip})` : ''}`,
  () => {
    const kube = new FakeKube({ context: 'real-monitoring', clock: systemClock });
    let m: RunningMonitoring;
    beforeAll(async () => {
      kube.seed([...app('shop-a'), ...app('shop-b')]);
      m = await startMonitoring({
        dir: await mkdtemp(join(tmpdir(), 'kdrill-mon-')),
        kube,
        namespaces: ['shop-a', 'shop-b'],
      });
    }, 90_000);
    afterAll(async () => m?.stop());

    it('Prometheus scrapes the lab’s kube-state-metrics series, and the Watchdog fires in Alertmanager', async () => {
      const q = await fetch(
        `${m.state.prometheus}/api/v1/query?query=${encodeURIComponent('kube_deployment_spec_replicas{namespace="shop-b"}')}`,
      );
      const body = (await q.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      expect(body.data.result).toEqual([
        {
          metric: expect.objectContaining({ deployment: 'web', namespace: 'shop-b', job: 'kube-state-metrics' }),
          value: [expect.any(Number), '1'],
        },
      ]);
      const source = alertmanagerSource(httpGetter({ url: m.state.alertmanager }), m.state.alertmanager);
      const hb = await checkHeartbeat(source, { alert: 'Watchdog' }, new Date());
      expect(hb.heartbeat).toMatchObject({ ok: true, alert: 'Watchdog' });
      expect(hb.findings).toEqual([]);
    });

    it('deleting a namespace fires KubeNamespaceGone, KubeDeploymentGone and TargetDown; the ttd is plausible; each pages kdrill’s receiver', async () => {
      const source = alertmanagerSource(httpGetter({ url: m.state.alertmanager }), m.state.alertmanager);
      const receiver = await WebhookReceiver.start(m.state.receiver, systemClock);
      const d = spec(
        [
          { alert: 'KubeNamespaceGone', labels: { namespace: 'shop-a' }, priority: 'P1' },
          { alert: 'KubeDeploymentGone', labels: { namespace: 'shop-a', deployment: 'web' }, priority: 'P1' },
          { alert: 'TargetDown', labels: { namespace: 'shop-a', service: 'web' }, priority: 'P2' },
        ],
        { notify: true },
      );
      const watch = new AlertWatch(d, { source, clock: systemClock, signal: new AbortController().signal, receiver });
      await watch.baseline();
      const disasterAt = new Date().toISOString();
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'shop-a' });
      await watch.start(() => disasterAt);
      await receiver.close();
      for (const a of watch.records) {
        expect(a, a.alert).toMatchObject({ fired: true, priority: a.expectedPriority });
        expect(a.ttdSeconds!, a.alert).toBeGreaterThan(0);
        expect(a.ttdSeconds!, a.alert).toBeLessThan(SCRAPE + FOR + EVALUATION + SLACK);
        expect(a.ttdSeconds!, `${a.alert} cannot fire before its for: has passed`).toBeGreaterThanOrEqual(FOR);
        expect(Date.parse(a.notifiedAt!), a.alert).toBeGreaterThanOrEqual(Date.parse(a.firedAt!));
      }
      const r = detectionResult({
        spec: d,
        source: source.name,
        startedAt: disasterAt,
        endedAt: watch.endedAt!,
        disasterAt,
        alerts: watch.records,
      });
      expect(r.met).toBe(true);
      expect(detectionFindings(r)).toEqual([]);

      // Prometheus, asked directly, agrees on when it fired (activeAt + for, to within an evaluation)
      const prom = await prometheusSource(httpGetter({ url: m.state.prometheus }), m.state.prometheus).firing();
      const gone = prom.find((a) => a.labels.alertname === 'KubeNamespaceGone' && a.labels.namespace === 'shop-a')!;
      expect(Math.abs(Date.parse(gone.firedAt) - Date.parse(watch.records[0]!.firedAt!))).toBeLessThanOrEqual(
        EVALUATION * 1000,
      );
    });

    it('an alert that cannot fire gives the P2 ALERT_NOT_FIRED after the timeout', async () => {
      const source = alertmanagerSource(httpGetter({ url: m.state.alertmanager }), m.state.alertmanager);
      const d = spec(
        [
          { alert: 'KubeNamespaceGone', labels: { namespace: 'shop-b' }, priority: 'P1' }, // shop-b stays
          { alert: 'NoSuchRule', priority: 'P2' },
        ],
        { timeout: '6s' },
      );
      const watch = new AlertWatch(d, { source, clock: systemClock, signal: new AbortController().signal });
      await watch.baseline();
      const disasterAt = new Date().toISOString();
      await watch.start(() => disasterAt);
      expect(Date.parse(watch.endedAt!) - Date.parse(disasterAt)).toBeGreaterThanOrEqual(6000);
      const r = detectionResult({
        spec: d,
        source: source.name,
        startedAt: disasterAt,
        endedAt: watch.endedAt!,
        disasterAt,
        alerts: watch.records,
      });
      expect(r).toMatchObject({ met: false, ttdSeconds: null });
      expect(detectionFindings(r).map((f) => [f.severity, f.code, f.key])).toEqual([
        ['P2', 'ALERT_NOT_FIRED', 'KubeNamespaceGone'],
        ['P2', 'ALERT_NOT_FIRED', 'NoSuchRule'],
      ]);
      expect(watch.polls).toBeGreaterThan(10);
      expect(watch.errors).toBe(0);
    });

    it('a stopped Alertmanager is a clear precondition error (exit 4)', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-am-'));
      await writeFile(join(dir, 'alertmanager.yml'), alertmanagerConfig({ receiver: 'http://127.0.0.1:9/' }));
      const port = await freePort();
      const am = await startServer({
        name: 'Alertmanager',
        bin: monitoringBinaries().alertmanager,
        url: `http://127.0.0.1:${port}`,
        log: join(dir, 'log'),
        args: [
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `--storage.path=${dir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ],
      });
      const source = alertmanagerSource(httpGetter({ url: am.url }), am.url);
      // running, it answers: no Watchdog reaches this one, so the heartbeat is a P1 and the drill would go on
      const before = await checkHeartbeat(source, { alert: 'Watchdog' }, new Date());
      expect(before.findings.map((f) => [f.severity, f.code])).toEqual([['P1', 'HEARTBEAT_MISSING']]);
      await am.stop();
      await expect(checkHeartbeat(source, { alert: 'Watchdog' }, new Date())).rejects.toMatchObject({
        code: 'DETECT_SOURCE_UNREACHABLE',
        exitCode: 4,
        message: expect.stringMatching(
          new RegExp(
            `^Alertmanager ${am.url} does not answer: fetch failed \\(ECONNREFUSED\\): the drill cannot tell whether anyone would notice the disaster$`,
          ),
        ),
        hint: expect.stringContaining('kdrill lab up --monitoring'),
      });
    });
  },
);
