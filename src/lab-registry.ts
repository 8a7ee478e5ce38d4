import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Which labs are alive, and the server of each of their contexts: a file per running lab process in
 * $KDRILL_LAB_REGISTRY (default $XDG_STATE_HOME/kdrill/labs). The lab writes it when it is ready and
 * removes it when it stops; the drill's allow-list reads it, so a context named `kdrill-lab` is
 * allowed only while a live lab serves it at that very address, never by its name alone.
 */
export interface LiveLab {
  pid: number;
  dir: string;
  contexts: { name: string; server: string }[];
}

export const labRegistryDir = (env = process.env): string =>
  env.KDRILL_LAB_REGISTRY ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'kdrill', 'labs');

/** Whether a process runs: it exists and is not a zombie (a killed lab whose parent never reaped it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): the signal said it exists
  }
}

export function registerLab(lab: LiveLab, env = process.env): () => void {
  const dir = labRegistryDir(env);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${lab.pid}.json`);
  writeFileSync(file, JSON.stringify(lab));
  return () => rmSync(file, { force: true });
}

/** The labs whose process still runs (an entry a killed lab left is ignored). */
export function liveLabs(env = process.env): LiveLab[] {
  const dir = labRegistryDir(env);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: LiveLab[] = [];
  for (const f of files) {
    try {
      const l = JSON.parse(readFileSync(join(dir, f), 'utf8')) as LiveLab;
      if (typeof l.pid === 'number' && Array.isArray(l.contexts) && processAlive(l.pid)) out.push(l);
    } catch {
      // a half-written or foreign file allows nothing
    }
  }
  return out;
}
