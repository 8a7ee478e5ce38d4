import { describe, expect, it } from 'vitest';
import parse from 'parse-prometheus-text-format';
import { systemClock } from '../../../src/time/clock.js';
import { kdrill } from '../../../test/support/cli.js';
import { FakeKube } from '../../../test/support/fakes/fake-kube.js';
import { ALERTMANAGER_ENV, PROMETHEUS_ENV, monitoringBinaries } from '../src/monitoring/binaries.js';
import { alertmanagerConfig, prometheusConfig } from '../src/monitoring/config.js';
import { LabExporter, serviceTargets } from '../src/monitoring/exporter.js';
import { kubeStateMetrics } from '../src/monitoring/ksm.js';
import { parse as parseYaml } from 'yaml';

function cluster(): FakeKube {
  const kube = new FakeKube({ clock: systemClock });
  const labels = { app: 'q' };
  kube.seed([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'thanos' }, status: { phase: 'Active' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'going' }, status: { phase: 'Terminating' } },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'q', namespace: 'thanos' },
      spec: { replicas: 2, selector: { matchLabels: labels } },
      status: { replicas: 2, availableReplicas: 1, unavailableReplicas: 1 },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'store', namespace: 'thanos' },
      spec: { replicas: 3 },
      status: { replicas: 3, readyReplicas: 3 },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'q-1', namespace: 'thanos', labels },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'q-2', namespace: 'thanos', labels },
      status: { phase: 'Pending' },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'q', namespace: 'thanos' }, spec: { selector: labels } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sidecar', namespace: 'thanos' },
      spec: { selector: { app: 'prometheus' } },
    },
  ]);
  return kube;
}

const value = (text: string, name: string, labels: Record<string, string>): string | undefined =>
  parse(text)
    .find((f) => f.name === name)
    ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;

describe("the lab's kube-state-metrics series, from its real objects", () => {
  it('has the names and labels of kube-state-metrics v2, parse as Prometheus text, and follow the objects', async () => {
    const kube = cluster();
    const text = await kubeStateMetrics(kube);
    expect(value(text, 'kube_namespace_status_phase', { namespace: 'thanos', phase: 'Active' })).toBe('1');
    expect(value(text, 'kube_namespace_status_phase', { namespace: 'going', phase: 'Active' })).toBe('0');
    expect(value(text, 'kube_namespace_status_phase', { namespace: 'going', phase: 'Terminating' })).toBe('1');
    expect(value(text, 'kube_deployment_spec_replicas', { namespace: 'thanos', deployment: 'q' })).toBe('2');
    expect(value(text, 'kube_deployment_status_replicas_available', { namespace: 'thanos', deployment: 'q' })).toBe(
      '1',
    );
    expect(value(text, 'kube_statefulset_status_replicas_ready', { namespace: 'thanos', statefulset: 'store' })).toBe(
      '3',
    );
    expect(value(text, 'kube_pod_status_ready', { namespace: 'thanos', pod: 'q-1', condition: 'true' })).toBe('1');
    expect(value(text, 'kube_pod_status_ready', { namespace: 'thanos', pod: 'q-2', condition: 'unknown' })).toBe('1');
    expect(value(text, 'kube_pod_status_phase', { pod: 'q-2', phase: 'Pending' })).toBe('1');
    expect(value(text, 'kube_node_status_condition', { node: 'n1', condition: 'Ready', status: 'false' })).toBe('1');
    await kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'thanos', name: 'q' });
    expect(value(await kubeStateMetrics(kube), 'kube_deployment_spec_replicas', { deployment: 'q' })).toBeUndefined();
  });

  it("stands in for each Service's metrics endpoint: 200 with a ready pod, 503 without, 404 once it is gone", async () => {
    const kube = cluster();
    expect(await serviceTargets(kube, ['thanos'])).toEqual([{ namespace: 'thanos', name: 'q' }]); // sidecar selects no pod
    const e = new LabExporter(kube);
    const url = await e.listen();
    try {
      const get = async (p: string) => {
        const r = await fetch(`${url}${p}`);
        return [r.status, await r.text()] as const;
      };
      expect((await get('/targets/thanos/q/metrics'))[0]).toBe(200);
      expect(value((await get('/targets/thanos/q/metrics'))[1], 'kdrill_lab_service_ready_endpoints', {})).toBe('1');
      expect((await get('/targets/thanos/sidecar/metrics'))[0]).toBe(503);
      await kube.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'thanos', name: 'q' });
      expect((await get('/targets/thanos/q/metrics'))[0]).toBe(404);
      expect((await get('/metrics'))[1]).toMatch(/^# HELP kube_namespace_status_phase/);
    } finally {
      await e.close();
    }
  });

  it('Prometheus scrapes both every second and keeps their labels; Alertmanager sends everything to the receiver', () => {
    const p = parseYaml(
      prometheusConfig({
        exporter: 'http://127.0.0.1:1234',
        alertmanager: 'http://127.0.0.1:9093',
        rulesFile: '/x/rules.yaml',
        services: [{ namespace: 'thanos', name: 'q' }],
      }),
    );
    expect(p.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(p.scrape_configs[0]).toMatchObject({ job_name: 'kube-state-metrics', honor_labels: true });
    expect(p.scrape_configs[1].static_configs[0].labels).toEqual({
      namespace: 'thanos',
      service: 'q',
      __metrics_path__: '/targets/thanos/q/metrics',
    });
    const a = parseYaml(alertmanagerConfig({ receiver: 'http://127.0.0.1:5555/' }));
    expect(a.route).toMatchObject({ receiver: 'kdrill', group_wait: '1s' });
    expect(a.receivers[0].webhook_configs[0]).toEqual({ url: 'http://127.0.0.1:5555/', send_resolved: true });
  });
});

describe('lab up --monitoring without Prometheus and Alertmanager', () => {
  it('is exit 4 before anything starts, saying what is missing and how to install it', async () => {
    const env = { [PROMETHEUS_ENV]: '/nonexistent/prometheus', [ALERTMANAGER_ENV]: '/nonexistent/alertmanager' };
    expect(() => monitoringBinaries(env)).toThrow(/prometheus \(\/nonexistent\/prometheus\) and alertmanager/);
    const r = await kdrill(['lab', 'up', '--monitoring', '--dir', '/nonexistent-kdrill-lab-dir'], { env });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/kdrill: the lab's monitoring needs Prometheus and Alertmanager: .* are not installed/);
    expect(r.stderr).toMatch(
      /hint: install Debian's packages: sudo apt-get install prometheus prometheus-alertmanager/,
    );
  });
});
