import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assetsDir, type KubeApi } from '../core.js';
import { monitoringBinaries } from './binaries.js';
import { alertmanagerConfig, prometheusConfig } from './config.js';
import { LabExporter, serviceTargets } from './exporter.js';
import { freePort, startServer, type ServerProcess } from './process.js';

/** What `lab status` shows and the drill reads: where the lab's monitoring answers. */
export interface MonitoringState {
  prometheus: string;
  alertmanager: string;
  /** host:port the Alertmanager posts its webhook to: kdrill's receiver listens there during a drill. */
  receiver: string;
  exporter: string;
  rulesFile: string;
  pids: { prometheus: number; alertmanager: number };
  dir: string;
}

export interface RunningMonitoring {
  state: MonitoringState;
  stop(): Promise<void>;
}

export const rulesAsset = (): string => join(assetsDir(), 'monitoring', 'kdrill-lab.rules.yaml');

/** Polls Alertmanager until the Watchdog fires there: the whole pipeline is up before the lab says ready. */
async function untilWatchdog(alertmanager: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${alertmanager}/api/v2/alerts?filter=alertname%3D%22Watchdog%22`, {
        signal: AbortSignal.timeout(1000),
      });
      if (r.ok && ((await r.json()) as unknown[]).length) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`the Watchdog did not reach Alertmanager ${alertmanager} in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startAlertmanager(bin: string, dir: string, port: number): Promise<ServerProcess> {
  return startServer({
    name: 'Alertmanager',
    bin,
    url: `http://127.0.0.1:${port}`,
    log: join(dir, 'alertmanager.log'),
    // an empty cluster address turns off Alertmanager's HA gossip (it would bind 0.0.0.0:9094)
    args: [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
  });
}

function startPrometheus(bin: string, dir: string, port: number): Promise<ServerProcess> {
  return startServer({
    name: 'Prometheus',
    bin,
    url: `http://127.0.0.1:${port}`,
    log: join(dir, 'prometheus.log'),
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
      // firing alerts are re-sent every second (default 1m): the first send of the Watchdog can go
      // before Prometheus has discovered the Alertmanager, and must not wait a minute for the next
      '--rules.alert.resend-delay=1s',
    ],
  });
}

/**
 * Debian's Prometheus and Alertmanager for the lab, each on a free port of 127.0.0.1 with its own
 * data dir under `<lab dir>/monitoring`: Prometheus scrapes the lab's kube-state-metrics series and
 * its app's Services every second and evaluates the lab's rules; Alertmanager routes every alert to
 * the webhook receiver kdrill runs during a drill. Ready once the Watchdog fires in Alertmanager.
 */
export async function startMonitoring(o: {
  dir: string;
  kube: KubeApi;
  namespaces: string[];
  log?: (m: string) => void;
}): Promise<RunningMonitoring> {
  const bins = monitoringBinaries();
  const dir = join(o.dir, 'monitoring');
  await mkdir(join(dir, 'prometheus-data'), { recursive: true });
  await mkdir(join(dir, 'alertmanager-data'), { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const exporter = new LabExporter(o.kube);
    const exporterUrl = await exporter.listen();
    stops.push(() => exporter.close());
    const [amPort, promPort, receiverPort] = [await freePort(), await freePort(), await freePort()];
    const receiver = `127.0.0.1:${receiverPort}`;
    const rulesFile = join(dir, 'kdrill-lab.rules.yaml');
    await copyFile(rulesAsset(), rulesFile);
    await writeFile(join(dir, 'alertmanager.yml'), alertmanagerConfig({ receiver: `http://${receiver}/` }));
    const am = await startAlertmanager(bins.alertmanager, dir, amPort);
    stops.push(am.stop);
    const services = await serviceTargets(o.kube, o.namespaces);
    const config = prometheusConfig({ exporter: exporterUrl, alertmanager: am.url, rulesFile, services });
    await writeFile(join(dir, 'prometheus.yml'), config);
    const prom = await startPrometheus(bins.prometheus, dir, promPort);
    stops.push(prom.stop);
    await untilWatchdog(am.url, 30_000);
    o.log?.(
      `monitoring: Prometheus ${prom.url}, Alertmanager ${am.url} (webhook to ${receiver}), ${services.length} service target(s)`,
    );
    const pids = { prometheus: prom.pid, alertmanager: am.pid };
    return {
      state: { prometheus: prom.url, alertmanager: am.url, receiver, exporter: exporterUrl, rulesFile, pids, dir },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
