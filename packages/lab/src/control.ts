import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DrillError, ExitCode, connectKube, makeDir, systemClock } from './core.js';
import type { Clock } from './core.js';
import { otherHolder } from './claim.js';
import { labGc } from './gc.js';
import { alive, clearLabState, readLabState, type LabState } from './state.js';
import { stopLeftovers } from './monitoring/leftovers.js';

export interface UpOptions {
  dir: string;
  port?: number;
  hardened?: boolean | 'deny' | 'warn';
  /** argv that starts this CLI again (node + script), for the background process. */
  self: string[];
  /** More flags for `lab serve` (node layout, delays). */
  extraArgs?: string[];
  timeoutMs?: number;
  /** The wait for the background process to answer (systemClock by default). */
  clock?: Clock;
}

/** `kdrill lab up`: start the lab in a background process and return once it answers. */
export async function labUp(o: UpOptions): Promise<LabState> {
  const dir = resolve(o.dir);
  const existing = await readLabState(dir);
  if (existing && alive(existing.pid)) {
    throw new DrillError(
      'LAB_RUNNING',
      `a lab is already running from ${dir} (pid ${existing.pid}, API ${existing.apiServer || 'starting'})`,
      ExitCode.Precondition,
      {
        hint: '`kdrill lab status` shows it; `kdrill lab down` stops it; or pass --dir for a second lab',
      },
    );
  }
  if (existing) await clearLabState(dir);
  if (o.port) await assertPortFree(o.port);
  await makeDir(dir, 'the lab directory');
  const log = join(dir, 'lab.log');
  const out = await open(log, 'a');
  const args = [
    ...o.self,
    'lab',
    'serve',
    '--dir',
    dir,
    ...(o.port ? ['--port', String(o.port)] : []),
    ...(o.hardened ? ['--hardened', o.hardened === 'warn' ? 'warn' : 'deny'] : []),
    ...(o.extraArgs ?? []),
  ];
  const child = spawn(args[0]!, args.slice(1), { detached: true, stdio: ['ignore', out.fd, out.fd] });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  await out.close();
  const clock = o.clock ?? systemClock;
  const deadline = clock.now().getTime() + (o.timeoutMs ?? 180_000);
  while (clock.now().getTime() < deadline) {
    const s = await readLabState(dir);
    if (s && s.pid === child.pid && s.ready) return s;
    if (s && s.pid === child.pid && s.error)
      throw new DrillError('LAB_START_FAILED', `the lab did not start: ${s.error}`, ExitCode.Precondition, {
        hint: o.port ? 'pick another --port, or leave it out for a free one' : `see ${log}`,
      });
    if (exited !== undefined) {
      throw new DrillError(
        'LAB_START_FAILED',
        `the lab process exited (code ${exited}) before it was ready`,
        ExitCode.Precondition,
        { hint: `see ${log}: ${(await tail(log)).trim()}` },
      );
    }
    await clock.sleep(50);
  }
  if (child.pid) process.kill(child.pid, 'SIGTERM');
  throw new DrillError('LAB_START_TIMEOUT', 'the lab did not become ready in time', ExitCode.Precondition, {
    hint: `see ${log}`,
  });
}

/** What `lab down` did: the process it stopped (if it still ran), and what it removed from real clusters. */
export interface DownResult {
  state?: LabState;
  wasRunning: boolean;
  /** Per real cluster: what was removed, or which other lab holds it (and so nothing was touched). */
  removed: { kubeconfig: string; objects: string[]; heldBy?: string }[];
}

/**
 * `kdrill lab down`: stops the background process by its PID, then removes what the lab left on the
 * real clusters it was attached to, also when its process was already gone (killed, a crashed test).
 */
export async function labDown(dirArg: string, timeoutMs = 15_000, clock: Clock = systemClock): Promise<DownResult> {
  const dir = resolve(dirArg);
  const s = await readLabState(dir);
  if (!s) return { wasRunning: false, removed: [] };
  const wasRunning = alive(s.pid);
  if (wasRunning) {
    process.kill(s.pid, 'SIGTERM');
    const deadline = clock.now().getTime() + timeoutMs;
    while (alive(s.pid) && clock.now().getTime() < deadline) await clock.sleep(50);
    if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
  }
  await stopLeftovers(s.monitoring);
  const removed: DownResult['removed'] = [];
  for (const kubeconfig of (s.options.realKubeconfigs as string[] | undefined) ?? []) {
    const kube = connectKube({ kubeconfig });
    const holder = await otherHolder(kube, dir, clock.now());
    if (holder) removed.push({ kubeconfig, objects: [], heldBy: holder });
    else removed.push({ kubeconfig, objects: await labGc(kube) });
  }
  await clearLabState(dir);
  return { state: s, wasRunning, removed };
}

export async function labStatus(
  dirArg: string,
): Promise<(LabState & { running: true }) | { running: false; dir: string }> {
  const dir = resolve(dirArg);
  const s = await readLabState(dir);
  if (!s || !alive(s.pid) || !s.ready) return { running: false, dir };
  return { ...s, running: true };
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((res, rej) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      rej(
        e.code === 'EADDRINUSE'
          ? new DrillError('LAB_PORT_BUSY', `port ${port} on 127.0.0.1 is already in use`, ExitCode.Precondition, {
              hint: 'pick another --port, or leave it out for a free one',
            })
          : e,
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => res()));
  });
}

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean).slice(-3).join(' | ');
  } catch {
    return '';
  }
}
