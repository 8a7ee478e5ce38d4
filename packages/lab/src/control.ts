import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DrillError, ExitCode } from './core.js';
import { alive, clearLabState, readLabState, type LabState } from './state.js';

export interface UpOptions {
  dir: string;
  port?: number;
  hardened?: boolean;
  /** argv that starts this CLI again (node + script), for the background process. */
  self: string[];
  /** More flags for `lab serve` (node layout, delays). */
  extraArgs?: string[];
  timeoutMs?: number;
}

/** `kdrill lab up`: start the lab in a background process and return once it answers. */
export async function labUp(o: UpOptions): Promise<LabState> {
  const dir = resolve(o.dir);
  const existing = await readLabState(dir);
  if (existing && alive(existing.pid)) {
    throw new DrillError('LAB_RUNNING', `a lab is already running from ${dir} (pid ${existing.pid}, API ${existing.apiServer || 'starting'})`, ExitCode.Precondition, {
      hint: '`kdrill lab status` shows it; `kdrill lab down` stops it; or pass --dir for a second lab',
    });
  }
  if (existing) await clearLabState(dir);
  if (o.port) await assertPortFree(o.port);
  await mkdir(dir, { recursive: true });
  const log = join(dir, 'lab.log');
  const out = await open(log, 'a');
  const args = [...o.self, 'lab', 'serve', '--dir', dir, ...(o.port ? ['--port', String(o.port)] : []), ...(o.hardened ? ['--hardened'] : []), ...(o.extraArgs ?? [])];
  const child = spawn(args[0]!, args.slice(1), { detached: true, stdio: ['ignore', out.fd, out.fd] });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  await out.close();
  const deadline = Date.now() + (o.timeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    const s = await readLabState(dir);
    if (s && s.pid === child.pid && s.ready) return s;
    if (s && s.pid === child.pid && s.error) throw new DrillError('LAB_START_FAILED', `the lab did not start: ${s.error}`, ExitCode.Precondition, { hint: o.port ? 'pick another --port, or leave it out for a free one' : `see ${log}` });
    if (exited !== undefined) {
      throw new DrillError('LAB_START_FAILED', `the lab process exited (code ${exited}) before it was ready`, ExitCode.Precondition, { hint: `see ${log}: ${(await tail(log)).trim()}` });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid) process.kill(child.pid, 'SIGTERM');
  throw new DrillError('LAB_START_TIMEOUT', 'the lab did not become ready in time', ExitCode.Precondition, { hint: `see ${log}` });
}

/** `kdrill lab down`: stop the background process by its PID. Returns false when none was running. */
export async function labDown(dirArg: string, timeoutMs = 15_000): Promise<LabState | undefined> {
  const dir = resolve(dirArg);
  const s = await readLabState(dir);
  if (!s) return undefined;
  if (!alive(s.pid)) {
    await clearLabState(dir);
    return undefined;
  }
  process.kill(s.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
  await clearLabState(dir);
  return s;
}

export async function labStatus(dirArg: string): Promise<(LabState & { running: true }) | { running: false; dir: string }> {
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
          ? new DrillError('LAB_PORT_BUSY', `port ${port} on 127.0.0.1 is already in use`, ExitCode.Precondition, { hint: 'pick another --port, or leave it out for a free one' })
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
