import type { LabelSelector } from './types.js';

/**
 * Label selectors in both shapes Kubernetes uses: the query-string syntax
 * (`a=b,c!=d,e in (x,y),!f`) and the LabelSelector object of specs.
 */
export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export class SelectorSyntaxError extends Error {}

export function parseLabelSelector(text: string | undefined): Requirement[] {
  const src = (text ?? '').trim();
  if (!src) return [];
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(src)) {
    const p = part.trim();
    if (!p) throw new SelectorSyntaxError(`empty requirement in selector "${src}"`);
    let m: RegExpMatchArray | null;
    if ((m = /^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      reqs.push({ key: m[1]!, op: m[2] === 'in' ? 'in' : 'notin', values });
    } else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]! });
    } else if ((m = /^!\s*([^\s=!(),]+)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: 'notexists' });
    } else if ((m = /^([^\s=!(),]+)$/.exec(p))) {
      reqs.push({ key: m[1]!, op: 'exists' });
    } else {
      throw new SelectorSyntaxError(`unable to parse requirement "${p}"`);
    }
  }
  return reqs;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function matchesRequirements(labels: Record<string, string>, reqs: Requirement[]): boolean {
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A LabelSelector object; an empty selector matches everything, as in NetworkPolicy podSelector. */
export function matchesLabelSelector(labels: Record<string, string>, sel: LabelSelector | undefined | null): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Renders a LabelSelector object as the query-string syntax, for list calls. */
export function selectorToString(sel: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    if (e.operator === 'Exists') parts.push(e.key);
    if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
