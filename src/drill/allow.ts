import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { liveLabs } from '../lab-registry.js';

/** The names the lab gives its contexts; allowed only while a live lab serves them (lab-registry.ts). */
export const LAB_CONTEXT = /^kdrill-lab(-\d+)?$/;

export interface AllowList {
  contexts: Set<string>;
  sources: string[];
  /** `context server` pairs that a live lab serves. */
  labServers: Set<string>;
}

/**
 * Contexts kdrill may break on purpose: --allow-context, $KDRILL_ALLOW_CONTEXTS (comma-separated),
 * `allowContexts` in ./.kdrill.yaml or ~/.config/kdrill/config.yaml, and a lab's contexts while that
 * lab lives and serves them at the address the kubeconfig names.
 */
export function allowedContexts(flags: string[] = [], env = process.env, cwd = process.cwd()): AllowList {
  const contexts = new Set<string>();
  const sources: string[] = [];
  for (const c of flags) contexts.add(c);
  if (flags.length) sources.push('--allow-context');
  const fromEnv = (env.KDRILL_ALLOW_CONTEXTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of fromEnv) contexts.add(c);
  if (fromEnv.length) sources.push('KDRILL_ALLOW_CONTEXTS');
  for (const file of [
    join(cwd, '.kdrill.yaml'),
    join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'kdrill', 'config.yaml'),
  ]) {
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
  const labServers = new Set(
    liveLabs(env).flatMap((l) => l.contexts.map((c) => `${c.name} ${c.server.replace(/\/+$/, '')}`)),
  );
  sources.push('live labs');
  return { contexts, sources, labServers };
}

/** Whether this context, at this server, may be broken on purpose; the reason when not. */
export function contextAllowed(
  a: AllowList,
  context: string,
  server: string,
): { ok: true } | { ok: false; why: string } {
  if (a.contexts.has(context)) return { ok: true };
  if (LAB_CONTEXT.test(context)) {
    if (a.labServers.has(`${context} ${server.replace(/\/+$/, '')}`)) return { ok: true };
    return { ok: false, why: `context "${context}" is named like a lab's, but no live lab serves it at ${server}` };
  }
  return { ok: false, why: `context "${context}" is not allow-listed for destructive drills` };
}
