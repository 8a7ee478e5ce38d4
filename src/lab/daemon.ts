import { resolve } from 'node:path';
import { startLab, type LabOptions } from './lab.js';
import { LAB_CONTEXT } from './kubeconfig.js';
import { clearLabState, writeLabState } from './state.js';

/**
 * The body of the background process `kdrill lab up` starts (`kdrill lab serve`): runs the lab until
 * SIGTERM or SIGINT, and keeps state.json true while it runs.
 */
export async function serveLab(opts: LabOptions & { log: string }): Promise<number> {
  const dir = resolve(opts.dir);
  const base = { pid: process.pid, dir, startedAt: new Date().toISOString(), log: opts.log, contexts: [LAB_CONTEXT], options: { hardened: !!opts.hardened, port: opts.port ?? 0 } };
  let lab;
  try {
    lab = await startLab({ ...opts, dir });
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${opts.port} on 127.0.0.1 is already in use` : (e as Error).message;
    await writeLabState({ ...base, ready: false, apiServer: '', kubeconfig: '', error: msg });
    process.stderr.write(`lab: ${msg}\n`);
    return 4;
  }
  await writeLabState({ ...base, ready: true, apiServer: lab.server, kubeconfig: lab.kubeconfig });
  process.stdout.write(`lab: API server ${lab.server}, kubeconfig ${lab.kubeconfig}\n`);
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await lab.stop();
  await clearLabState(dir);
  process.stdout.write('lab: stopped\n');
  return 0;
}
