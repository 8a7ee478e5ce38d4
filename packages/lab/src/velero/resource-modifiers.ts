import { parse } from 'yaml';
import { matchesLabelSelector } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../apiserver/patch.js';
import { matchesFilter } from './filters.js';

/**
 * Velero's restore resource modifiers (v1.12+: JSON patches; v1.13+: merge and strategic patches and
 * `matches`), as internal/resourcemodifiers in v1.14.1 and v1.18.1 behaves: a Restore names a ConfigMap
 * with one data key holding the rules; each rule's conditions are matched against the item as it was
 * backed up (its original namespace), and its patches applied after the restore item actions, before
 * the item is created. The lab's strategic merge patch is its API server's approximation (SPEC.md).
 */
export interface ResourceModifiers {
  version: string;
  resourceModifierRules: ModifierRule[];
}

interface JsonPatchOp {
  operation: string;
  from?: string;
  path: string;
  value?: string;
}

interface ModifierRule {
  conditions: {
    namespaces?: string[];
    groupResource: string;
    resourceNameRegex?: string;
    labelSelector?: LabelSelector;
    matches?: { path: string; value?: string }[];
  };
  patches?: JsonPatchOp[];
  mergePatches?: { patchData: string }[];
  strategicPatches?: { patchData: string }[];
}

const RULE_KEYS = ['conditions', 'patches', 'mergePatches', 'strategicPatches'];
const CONDITION_KEYS = ['namespaces', 'groupResource', 'resourceNameRegex', 'labelSelector', 'matches'];
const OPS = ['add', 'remove', 'replace', 'test', 'move', 'copy'];

/** GetResourceModifiersFromConfig: exactly one data key, decoded strictly (an unknown field is an error). */
export function modifiersFromConfigMap(cm: KubeObject): ResourceModifiers {
  const data = Object.values((cm.data ?? {}) as Record<string, string>);
  if (data.length !== 1)
    throw new Error(`illegal resource modifiers ${cm.metadata?.namespace}/${cm.metadata?.name} configmap`);
  let doc: unknown;
  try {
    doc = parse(data[0]!);
    strictKeys(doc);
  } catch (e) {
    throw new Error(`failed to decode yaml data into resource modifiers, err: ${(e as Error).message}`, { cause: e });
  }
  return doc as ResourceModifiers;
}

function strictKeys(doc: unknown): void {
  const unknown = (o: unknown, allowed: string[]): void => {
    if (!o || typeof o !== 'object') return;
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) throw new Error(`error unmarshaling JSON: unknown field "${k}"`);
  };
  unknown(doc, ['version', 'resourceModifierRules']);
  for (const r of ((doc as ResourceModifiers | null)?.resourceModifierRules ?? []) as unknown[]) {
    unknown(r, RULE_KEYS);
    unknown((r as ModifierRule).conditions, CONDITION_KEYS);
  }
}

/** ResourceModifiers.Validate, message for message (the typo "groupkResource" is Velero's). */
export function validateModifiers(m: ResourceModifiers): void {
  if (String(m.version ?? '').toLowerCase() !== 'v1')
    throw new Error(`unsupported resource modifier version ${m.version ?? ''}`);
  if (!m.resourceModifierRules?.length) throw new Error('resource modifier rules cannot be empty');
  for (const r of m.resourceModifierRules) {
    if (!r.conditions?.groupResource) throw new Error('groupkResource cannot be empty');
    const kinds = [r.patches, r.mergePatches, r.strategicPatches].filter((p) => p?.length).length;
    if (kinds >= 2) throw new Error('only one of patches, mergePatches, strategicPatches can be specified');
    for (const p of r.patches ?? []) {
      if (!p.operation) throw new Error('operation cannot be empty');
      if (!OPS.includes(p.operation.toLowerCase())) throw new Error(`unsupported operation ${p.operation}`);
      if (!p.path) throw new Error('path cannot be empty');
    }
  }
}

/** gobwas/glob with '.' as the separator: `*` stays within a segment, `**` crosses them. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^.]*';
    else if (c === '?') re += '[^.]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) throw new Error(`unexpected end of input in glob ${glob}`);
      re += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((a) => a.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^.]*'))
        .join('|')})`;
      i = end;
    } else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) throw new Error(`unexpected end of input in glob ${glob}`);
      re += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
      i = end;
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** JSONPatch.ToString: a value is JSON when it looks like a number, boolean, null, object or array; else a string. */
function patchValue(v: string | undefined): unknown {
  const s = v ?? '';
  if (s === '') return '';
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return s.slice(1, -1);
  if (s === 'null') return null;
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
  if (s.startsWith('{') || s.startsWith('[')) return JSON.parse(s) as unknown;
  if (s.trim() !== '' && Number.isFinite(Number(s))) return Number(s);
  return s;
}

const testFailed = (e: unknown): boolean => /test failed/.test((e as Error).message);

function applyJsonPatch(obj: KubeObject, ops: JsonPatchOp[]): KubeObject {
  const body = ops.map((p) => ({
    op: p.operation.toLowerCase(),
    path: p.path,
    ...(p.from ? { from: p.from } : {}),
    value: patchValue(p.value),
  }));
  try {
    return jsonPatch(obj, body) as KubeObject;
  } catch (e) {
    // a failed test leaves the object as it was (JSONPatcher.Patch)
    if (testFailed(e)) return obj;
    throw new Error(`error in applying JSON Patch ${(e as Error).message}`, { cause: e });
  }
}

function matched(rule: ModifierRule, obj: KubeObject, gr: string): boolean {
  const c = rule.conditions;
  const ns = obj.metadata?.namespace ?? '';
  if (ns && !matchesFilter(ns, c.namespaces, [])) return false;
  if (!globToRegExp(c.groupResource).test(gr)) return false;
  if (c.resourceNameRegex && !new RegExp(c.resourceNameRegex).test(obj.metadata?.name ?? '')) return false;
  if (c.labelSelector && !matchesLabelSelector(obj.metadata?.labels ?? {}, c.labelSelector)) return false;
  for (const m of c.matches ?? []) {
    if (!m.path) throw new Error('path is required for match rule');
    try {
      jsonPatch(obj, [{ op: 'test', path: m.path, value: patchValue(m.value) }]);
    } catch (e) {
      if (testFailed(e) || /does not exist/.test((e as Error).message)) return false;
      throw e;
    }
  }
  return true;
}

function applyRule(rule: ModifierRule, obj: KubeObject): KubeObject {
  if (rule.patches?.length) return applyJsonPatch(obj, rule.patches);
  const merges = rule.mergePatches?.length ? rule.mergePatches : rule.strategicPatches;
  if (!merges?.length) throw new Error('no patch data found');
  const merge = rule.mergePatches?.length ? mergePatch : strategicMergePatch;
  return merges.reduce((o, p) => merge(o, parse(p.patchData) as unknown) as KubeObject, obj);
}

/**
 * ApplyResourceModifierRules: every rule in order, matched against the item as it came in, patched on
 * the item as the rules before left it. Returns the item and the errors, each one a restore error.
 */
export function applyModifiers(
  m: ResourceModifiers,
  obj: KubeObject,
  gr: string,
): { item: KubeObject; errors: string[] } {
  const origin = structuredClone(obj);
  let item = obj;
  const errors: string[] = [];
  for (const rule of m.resourceModifierRules) {
    try {
      if (!matched(rule, origin, gr)) continue;
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    try {
      item = applyRule(rule, item);
    } catch (e) {
      errors.push(`error in applying patch ${(e as Error).message}`);
    }
  }
  return { item, errors };
}
