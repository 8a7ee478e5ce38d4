import { resolve } from 'node:path';
import { startLab, type LabOptions } from './lab.js';
import { clearLabState, writeLabState } from './state.js';
import { registerLab, systemClock } from './core.js';
import { monitorLab } from './monitoring/for-lab.js';
import type { RunningMonitoring } from './monitoring/monitoring.js';

/**
 * The body of the background process `kdrill lab up` starts (`kdrill lab serve`): runs the lab until
 * SIGTERM or SIGINT, and keeps state.json true while it runs.
 */
export async function serveLab(opts: LabOptions & { logFile: string; monitoring?: boolean }): Promise<number> {
  const dir = resolve(opts.dir);
  const base = stateBase(opts, dir);
  let lab;
  let monitoring: RunningMonitoring | undefined;
  try {
    lab = await startLab({ ...opts, dir, log: (m) => process.stdout.write(`lab: ${m}\n`) });
    if (opts.monitoring) monitoring = await monitorLab(lab, (m) => process.stdout.write(`lab: ${m}\n`));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { hint?: string };
    const msg =
      err.code === 'EADDRINUSE'
        ? `port ${opts.port} on 127.0.0.1 is already in use`
        : `${err.message}${err.hint ? ` (${err.hint})` : ''}`;
    await writeLabState({ ...base, ready: false, apiServer: '', kubeconfig: '', error: msg });
    process.stderr.write(`lab: ${msg}\n`);
    return 4;
  }
  for (const w of lab.warnings) process.stdout.write(`lab: warning: ${w}\n`);
  await writeLabState({
    ...base,
    ready: true,
    apiServer: lab.clusters[0]!.server,
    kubeconfig: lab.kubeconfig,
    contexts: lab.contexts,
    s3: lab.s3,
    backups: lab.backups,
    app: lab.app,
    warnings: lab.warnings,
    monitoring: monitoring?.state,
  });
  // the drill allows the lab's contexts only while this process lives and serves them there
  const unregister = registerLab({
    pid: process.pid,
    dir,
    contexts: lab.clusters.map((c) => ({ name: c.context, server: c.server })),
  });
  process.stdout.write(`lab: ready; kubeconfig ${lab.kubeconfig}\n`);
  await untilSignalled();
  unregister();
  await monitoring?.stop();
  await lab.stop();
  await clearLabState(dir);
  process.stdout.write('lab: stopped\n');
  return 0;
}

/** What state.json says of this process and the options it runs with, ready or not. */
function stateBase(opts: LabOptions & { logFile: string }, dir: string) {
  return {
    pid: process.pid,
    dir,
    startedAt: (opts.clock ?? systemClock).now().toISOString(),
    log: opts.logFile,
    contexts: [] as string[],
    options: {
      hardened: opts.hardened
        ? typeof opts.hardened === 'object'
          ? opts.hardened.action
          : opts.hardened === 'warn'
            ? 'warn'
            : 'deny'
        : false,
      port: opts.port ?? 0,
      k8s: opts.k8s ?? 'lab',
      clusters: opts.clusters ?? 1,
      veleroVersion: opts.veleroVersion ?? '1.14',
      realKubeconfigs: opts.k8s === 'real' ? (opts.realKubeconfigs ?? []).slice(0, opts.clusters ?? 1) : [],
    },
  };
}

function untilSignalled(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
