/**
 * Structural schema handling for custom resources, as a real apiserver does it for
 * apiextensions.k8s.io/v1: default, prune unknown fields, then validate types, enums,
 * required fields, formats and item counts. Only the keywords structural schemas allow.
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  format?: string;
  nullable?: boolean;
  default?: unknown;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

export interface Cause {
  field: string;
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the pruned and defaulted object plus every validation problem found. */
export function applySchema(
  root: Schema,
  obj: Record<string, unknown>,
): { value: Record<string, unknown>; causes: Cause[] } {
  const causes: Cause[] = [];
  // apiVersion, kind and metadata are never pruned; metadata is validated by the server itself.
  const { apiVersion, kind, metadata, ...rest } = obj;
  const props = { ...(root.properties ?? {}) };
  delete props.apiVersion;
  delete props.kind;
  delete props.metadata;
  // they are always there, whatever `required` says (Argo CD's CRDs require metadata): not the schema's to check
  const required = root.required?.filter((r) => !['apiVersion', 'kind', 'metadata'].includes(r));
  const body = walk({ ...root, properties: props, required }, rest, '', causes) as Record<string, unknown>;
  return { value: { apiVersion, kind, metadata, ...body }, causes };
}

function walk(s: Schema, v: unknown, path: string, causes: Cause[]): unknown {
  if (v === null) {
    // A null for a field that is not nullable is dropped by defaulting/pruning, as on a real server.
    if (!s.nullable && path !== '') return undefined;
    return v;
  }
  if (s['x-kubernetes-int-or-string']) {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) {
      causes.push({
        field: path,
        message: `Invalid value: "${typeName(v)}": ${path} in body must be of type integer,string: "${typeName(v)}"`,
      });
    }
    return v;
  }
  if (s.type && !typeMatches(s.type, v)) {
    causes.push({
      field: path,
      message: `Invalid value: "${typeName(v)}": ${path} in body must be of type ${s.type}: "${typeName(v)}"`,
    });
    return v;
  }
  if (s.enum && !s.enum.some((e) => e === v)) {
    causes.push({
      field: path,
      message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (typeof v === 'string') checkString(s, v, path, causes);
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum)
      causes.push({
        field: path,
        message: `Invalid value: ${v}: ${path} in body should be greater than or equal to ${s.minimum}`,
      });
    if (s.maximum !== undefined && v > s.maximum)
      causes.push({
        field: path,
        message: `Invalid value: ${v}: ${path} in body should be less than or equal to ${s.maximum}`,
      });
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems)
      causes.push({
        field: path,
        message: `Invalid value: ${v.length}: ${path} in body should have at least ${s.minItems} items`,
      });
    if (s.maxItems !== undefined && v.length > s.maxItems)
      causes.push({
        field: path,
        message: `Invalid value: ${v.length}: ${path} in body should have at most ${s.maxItems} items`,
      });
    if (!s.items) return v;
    return v.map((item, i) => walk(s.items!, item, `${path}[${i}]`, causes));
  }
  if (isObj(v)) return walkObject(s, v, path, causes);
  return v;
}

function walkObject(s: Schema, v: Record<string, unknown>, path: string, causes: Cause[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, val] of Object.entries(v)) {
    const child = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
    const childPath = path ? `${path}.${k}` : k;
    if (child) {
      const w = walk(child, val, childPath, causes);
      if (w !== undefined) out[k] = w;
    } else if (preserve || s.additionalProperties === true || s['x-kubernetes-embedded-resource']) {
      out[k] = val;
    }
    // else: pruned, silently, as a real apiserver does for v1 CRDs
  }
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    if (out[k] === undefined && child.default !== undefined) out[k] = structuredClone(child.default);
  }
  for (const req of s.required ?? []) {
    if (out[req] === undefined) causes.push({ field: path ? `${path}.${req}` : req, message: 'Required value' });
  }
  return out;
}

function checkString(s: Schema, v: string, path: string, causes: Cause[]): void {
  if (s.format === 'date-time' && Number.isNaN(Date.parse(v))) {
    causes.push({ field: path, message: `Invalid value: "${v}": ${path} in body must be of type date-time: "${v}"` });
  }
  if (s.format === 'byte' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    causes.push({
      field: path,
      message: `Invalid value: "${v.slice(0, 40)}": ${path} in body must be of type byte: "${v.slice(0, 40)}"`,
    });
  }
  if (s.minLength !== undefined && v.length < s.minLength)
    causes.push({
      field: path,
      message: `Invalid value: "${v}": ${path} in body should be at least ${s.minLength} chars long`,
    });
  if (s.maxLength !== undefined && v.length > s.maxLength)
    causes.push({
      field: path,
      message: `Invalid value: "${v}": ${path} in body may not be longer than ${s.maxLength}`,
    });
  if (s.pattern !== undefined && !new RegExp(s.pattern).test(v))
    causes.push({ field: path, message: `Invalid value: "${v}": ${path} in body should match '${s.pattern}'` });
}

function typeMatches(t: NonNullable<Schema['type']>, v: unknown): boolean {
  switch (t) {
    case 'object':
      return isObj(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
  }
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
