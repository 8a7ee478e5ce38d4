import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

export const LAB_CONTEXTS = ['kdrill-lab', 'kdrill-lab-2'];

/**
 * Contexts kdrill may break on purpose: --allow-context, $KDRILL_ALLOW_CONTEXTS (comma-separated),
 * `allowContexts` in ./.kdrill.yaml or ~/.config/kdrill/config.yaml, and the lab's own contexts.
 */
export function allowedContexts(flags: string[] = [], env = process.env, cwd = process.cwd()): { contexts: Set<string>; sources: string[] } {
  const contexts = new Set(LAB_CONTEXTS);
  const sources = ['the lab contexts'];
  for (const c of flags) contexts.add(c);
  if (flags.length) sources.push('--allow-context');
  const fromEnv = (env.KDRILL_ALLOW_CONTEXTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of fromEnv) contexts.add(c);
  if (fromEnv.length) sources.push('KDRILL_ALLOW_CONTEXTS');
  for (const file of [join(cwd, '.kdrill.yaml'), join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'kdrill', 'config.yaml')]) {
    if (!existsSync(file)) continue;
    try {
      const cfg = parse(readFileSync(file, 'utf8')) as { allowContexts?: unknown } | null;
      if (Array.isArray(cfg?.allowContexts)) {
        for (const c of cfg.allowContexts) if (typeof c === 'string') contexts.add(c);
        sources.push(file);
      }
    } catch {
      // an unreadable config allows nothing more
    }
  }
  return { contexts, sources };
}
