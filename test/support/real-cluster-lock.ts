import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * One test file at a time on the real kube-apiservers that .ci/run starts: vitest runs files in
 * parallel, and one suite resets namespaces, claims the cluster for a lab or installs RBAC that
 * another would see half-made. A directory is the lock (mkdir is atomic); a holder that died frees it.
 */
export async function lockRealCluster(timeoutMs = 45 * 60_000): Promise<() => Promise<void>> {
  const dir = join(tmpdir(), 'kdrill-real-cluster.lock');
  const owner = join(dir, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(owner, String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(await readFile(owner, 'utf8').catch(() => ''));
    // a holder that died (a killed test run) holds nothing; one that has not written its pid yet is young
    if (pid && !alive(pid)) await rm(dir, { recursive: true, force: true });
    if (Date.now() > deadline)
      throw new Error(`the real cluster stayed locked by pid ${pid} for ${timeoutMs / 60_000} min`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
