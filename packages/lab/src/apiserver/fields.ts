import type { KubeObject } from '../core.js';
import { badRequest } from './status.js';

export interface FieldRequirement {
  path: string;
  op: 'eq' | 'neq';
  value: string;
}

/** Field selectors: `a.b=c`, `a.b==c`, `a.b!=c`, comma-separated, on dotted paths. */
export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  const src = (text ?? '').trim();
  if (!src) return [];
  return src.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_.\-/]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid field selector: "${part}"`);
    return { path: m[1]!, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]! };
  });
}

export function matchesFields(obj: KubeObject, reqs: FieldRequirement[]): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.path);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}
