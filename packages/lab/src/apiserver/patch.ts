import { badRequest, ApiError } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch, approximated as a merge patch (documented in SPEC.md): lists are replaced
 * whole, and the directive keys kubectl sends ($patch, $setElementOrder/…, $retainKeys,
 * $deleteFromPrimitiveList/…) are dropped rather than interpreted.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  return mergePatch(target, stripDirectives(patch));
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}

interface Op {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6902 JSON patch; a failed `test` or a bad path is a 422, like the real server. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops as Op[]) {
    if (!raw || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw badRequest('invalid json patch operation');
    switch (raw.op) {
      case 'add':
        doc = add(doc, parsePointer(raw.path), structuredClone(raw.value));
        break;
      case 'remove':
        doc = remove(doc, parsePointer(raw.path));
        break;
      case 'replace':
        doc = remove(doc, parsePointer(raw.path));
        doc = add(doc, parsePointer(raw.path), structuredClone(raw.value));
        break;
      case 'move': {
        const from = parsePointer(raw.from ?? '');
        const v = get(doc, from);
        doc = add(remove(doc, from), parsePointer(raw.path), v);
        break;
      }
      case 'copy':
        doc = add(doc, parsePointer(raw.path), structuredClone(get(doc, parsePointer(raw.from ?? ''))));
        break;
      case 'test':
        if (JSON.stringify(get(doc, parsePointer(raw.path))) !== JSON.stringify(raw.value)) {
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: test failed at ${raw.path}`,
          );
        }
        break;
      default:
        throw badRequest(`unknown json patch op "${String((raw as { op: unknown }).op)}"`);
    }
  }
  return doc;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`invalid json pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const unprocessable = (msg: string): ApiError => new ApiError(422, 'Invalid', msg);

function get(doc: unknown, path: string[]): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObject(cur)) cur = cur[seg];
    else throw unprocessable(`path /${path.join('/')} does not exist`);
    if (cur === undefined) throw unprocessable(`path /${path.join('/')} does not exist`);
  }
  return cur;
}

function add(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw unprocessable(`index ${last} out of range`);
    parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    (parent as Record<string, unknown>)[last] = value;
  } else throw unprocessable(`cannot add at /${path.join('/')}`);
  return doc;
}

function remove(doc: unknown, path: string[]): unknown {
  if (path.length === 0) return undefined;
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw unprocessable(`index ${last} out of range`);
    parent.splice(i, 1);
  } else if (isObject(parent) && last in parent) {
    delete (parent as Record<string, unknown>)[last];
  } else throw unprocessable(`path /${path.join('/')} does not exist`);
  return doc;
}
