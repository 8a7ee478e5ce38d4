import { readFile } from 'node:fs/promises';
import { processAlive } from '../core.js';
import type { MonitoringState } from './monitoring.js';

/**
 * A lab process that was killed (SIGKILL) cannot stop its Prometheus and Alertmanager: `lab down`
 * stops them by their PIDs, but only a process whose command line still names this lab's dir, so a
 * PID reused by something else is never touched.
 */
export async function stopLeftovers(m: MonitoringState | undefined): Promise<number[]> {
  const stopped: number[] = [];
  for (const pid of m ? [m.pids.prometheus, m.pids.alertmanager] : []) {
    if (!pid || !processAlive(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes(m!.dir)) continue;
    process.kill(pid, 'SIGTERM');
    stopped.push(pid);
  }
  return stopped;
}
