import { LabApiServer } from '../packages/lab/src/apiserver/server.js';

// The lab API server in its own process for the benchmark, seeded with BENCH_CONFIGMAPS ConfigMaps in
// namespace BENCH_NAMESPACE, so the client's CPU and RSS are measured apart from the server's.
const api = new LabApiServer();
const ns = process.env.BENCH_NAMESPACE ?? 'inv';
const n = Number(process.env.BENCH_CONFIGMAPS ?? 0);
const c = api.cluster;
c.create(c.type('', 'v1', 'namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
const cm = c.type('', 'v1', 'configmaps');
for (let i = 0; i < n; i++)
  c.create(cm, ns, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, labels: { app: 'bench', shard: String(i % 16) }, annotations: { team: 'sre' } },
    data: { 'settings.yaml': `replicas: ${i % 7}\nname: cm-${i}\n${'x'.repeat(160)}\n`, index: String(i) },
  });
process.stdout.write(`${await api.listen(0)}\n`);
process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
