import { connectKube } from '../src/kube/client-node.js';
import { compareInventory, snapshotInventory } from '../src/verify/inventory.js';
import { stopwatch } from './stopwatch.js';

// One measurement of bench/inventory.ts in a process of its own, so its peak RSS is its own:
// `bare` is one paged list of the ConfigMaps through the same client, `inventory` is what a drill does.
const [kubeconfig, mode, ns = 'inv'] = process.argv.slice(2);
const kube = connectKube({ kubeconfig });
const cpu0 = process.cpuUsage();
const out: Record<string, number> = { loadedRssMB: process.memoryUsage().rss / 2 ** 20 };
if (mode === 'bare') {
  const t = stopwatch();
  out.objects = (await kube.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns })).items.length;
  out.listSeconds = t() / 1000;
} else {
  let t = stopwatch();
  const before = await snapshotInventory(kube, [ns]);
  out.snapshotSeconds = t() / 1000;
  t = stopwatch();
  // what a drill's verify does: the second inventory compared as it is listed, never held
  const d = await compareInventory(kube, [ns], before);
  out.secondAndDiffSeconds = t() / 1000;
  out.objects = before.length;
  out.differences = d.missing.length + d.extra.length + d.changed.length;
}
const cpu = process.cpuUsage(cpu0);
out.cpuSeconds = (cpu.user + cpu.system) / 1e6;
out.peakRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify(out)}\n`);
