import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DrillError, ExitCode } from '../errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  // procfs and the like: the parent exists but cannot hold a new directory
  ENOENT: 'the file system there does not take new directories',
};

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/**
 * `mkdir -p` of a directory the user named (`--out`, the history, a schedule's manifests), one level at a
 * time. Node's own `recursive: true` never settles under /proc: procfs answers ENOENT for a child it cannot
 * hold, Node takes that for a missing parent, makes the parent (EEXIST) and tries the child again, at 100%
 * of a core. Here each level is made once, and a failure is a DrillError naming the path and the reason.
 */
export async function makeDir(path: string, what: string): Promise<void> {
  const target = resolve(path);
  const missing: string[] = [];
  try {
    for (let p = target; ; p = dirname(p)) {
      const s = await stat(p).catch((e: unknown) => {
        if (codeOf(e) === 'ENOENT') return undefined;
        throw e;
      });
      if (s?.isDirectory()) break;
      if (s) throw Object.assign(new Error(`${p} is not a directory`), { code: p === target ? 'EEXIST' : 'ENOTDIR' });
      missing.push(p);
      if (dirname(p) === p) break;
    }
    for (const dir of missing.reverse())
      await mkdir(dir).catch(async (e: unknown) => {
        // made by someone else meanwhile: as good
        if (codeOf(e) === 'EEXIST' && (await stat(dir)).isDirectory()) return;
        throw e;
      });
  } catch (e) {
    const reason = REASONS[codeOf(e) ?? ''];
    if (!reason) throw e;
    throw new DrillError('CANNOT_CREATE_DIR', `cannot create ${what} ${target}: ${reason}`, ExitCode.Usage, {
      hint: 'name a directory kdrill can write; it is made with its parents',
      cause: e,
    });
  }
}
