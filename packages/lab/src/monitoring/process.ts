import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A free port on 127.0.0.1 (the server that asks for it binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  log: string;
  stop: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-4).join(' | ');
  } catch {
    return '';
  }
}

async function answersReady(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await r.text();
    return r.ok;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Starts a server binary, its output in `log`, and waits until `GET /-/ready` answers 200. */
export async function startServer(o: {
  name: string;
  bin: string;
  args: string[];
  url: string;
  log: string;
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const out = await open(o.log, 'a');
  const child = spawn(o.bin, o.args, { stdio: ['ignore', out.fd, out.fd] });
  // listen before the first await: 'spawn' and 'error' fire on the next tick
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  await out.close();
  const spawned = await started;
  if (spawned) throw new Error(`${o.name} (${o.bin}) did not start: ${spawned.message}`);
  const stop = (): Promise<void> => stopChild(child, exited);
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  while (!(await answersReady(o.url))) {
    if (child.exitCode !== null) throw new Error(`${o.name} exited (code ${child.exitCode}): ${await tail(o.log)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${o.name} did not become ready at ${o.url}: ${await tail(o.log)}`);
    }
    await sleep(100);
  }
  return { name: o.name, pid: child.pid!, url: o.url, log: o.log, stop };
}
