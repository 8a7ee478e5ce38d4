import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isScalar, visit, type Node, type Document } from 'yaml';
import type { z } from 'zod';
import { DrillError, ExitCode } from '../errors.js';
import { scenarioSchema, type Scenario } from './schema.js';

export interface ScenarioProblem {
  file: string;
  line: number;
  col: number;
  path: string; // e.g. spec.disaster[1].type
  message: string;
  hint?: string;
}

export type LoadResult =
  { ok: true; file: string; scenario: Scenario } | { ok: false; file: string; problems: ScenarioProblem[] };

const MAX_BYTES = 1024 * 1024;

/**
 * Reads and checks a scenario. It reports every problem it can find, each at file:line:col, and
 * suggests the key that was probably meant for an unknown one. It never throws for bad input.
 */
export async function loadScenario(file: string): Promise<LoadResult> {
  const fail = (message: string, hint?: string, line = 1, col = 1): LoadResult => ({
    ok: false,
    file,
    problems: [{ file, line, col, path: '', message, hint }],
  });
  let text: string;
  try {
    const st = await stat(file);
    if (st.isDirectory())
      return fail('is a directory, not a scenario file', 'pass the YAML file, e.g. scenarios/namespace-loss.yaml');
    if (st.size > MAX_BYTES)
      return fail(`is ${(st.size / 1024 / 1024).toFixed(1)} MB; a scenario is a few KB`, 'is this the right file?');
    const buf = await readFile(file);
    if (buf.includes(0)) return fail('is binary data, not YAML', 'pass the scenario YAML file');
    text = buf.toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (e as Error).message})`,
      'check the path',
    );
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file = '<scenario>'): LoadResult {
  if (!text.trim())
    return {
      ok: false,
      file,
      problems: [
        { file, line: 1, col: 1, path: '', message: 'the file is empty', hint: 'start from one of scenarios/*.yaml' },
      ],
    };
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: ScenarioProblem[] = [];
  for (const e of doc.errors) {
    const pos = lc.linePos(e.pos[0]);
    const dup = e.code === 'DUPLICATE_KEY';
    problems.push({
      file,
      line: pos.line,
      col: pos.col,
      path: '',
      message: dup ? 'duplicate key: a key may appear only once in a mapping' : `YAML: ${e.message.split('\n')[0]}`,
      hint: dup
        ? 'remove one of the two'
        : 'fix the YAML here: brackets, quotes, and indentation with spaces (not tabs)',
    });
  }
  if (problems.length) return { ok: false, file, problems };
  let data: unknown;
  try {
    // a small alias budget: a scenario has no reason to expand an alias thousands of times (a "billion laughs" file)
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    return { ok: false, file, problems: [aliasProblem(e, doc, lc, file)] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return {
      ok: false,
      file,
      problems: [
        {
          file,
          line: 1,
          col: 1,
          path: '',
          message: 'a scenario is a YAML mapping (apiVersion, kind, metadata, spec)',
          hint: 'start from one of scenarios/*.yaml',
        },
      ],
    };
  }
  const r = scenarioSchema.safeParse(data);
  if (r.success) return { ok: true, file, scenario: r.data };
  for (const issue of r.error.issues) problems.push(...toProblems(issue, doc, lc, file, data));
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, file, problems };
}

/** Where an alias problem is: the first alias that names an unknown anchor, or the first alias at all. */
function aliasProblem(e: unknown, doc: Document, lc: LineCounter, file: string): ScenarioProblem {
  const msg = (e as Error).message;
  const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec(msg);
  let at: { line: number; col: number } = { line: 1, col: 1 };
  visit(doc, {
    Alias(_k, node) {
      if (unresolved && node.source !== unresolved[1]) return undefined;
      if (node.range) at = lc.linePos(node.range[0]);
      return visit.BREAK;
    },
  });
  return unresolved
    ? {
        file,
        ...at,
        path: '',
        message: `YAML: the alias *${unresolved[1]} names no anchor defined before it`,
        hint: 'define the anchor (&name) before its alias, or write the value out',
      }
    : {
        file,
        ...at,
        path: '',
        message:
          'YAML: the aliases expand too far (a resource-exhaustion pattern): a scenario is refused beyond 50 alias uses',
        hint: 'write the values out instead of nesting aliases',
      };
}

/** What every problem needs to say where it is. */
interface Source {
  doc: Document;
  lc: LineCounter;
  file: string;
  data: unknown;
}

/** The key itself for an unknown key; otherwise the value, or the nearest parent that exists. */
function where(c: Source, p: (string | number)[], key?: string): { line: number; col: number } {
  for (let n = p.length; n >= 0; n--) {
    const node = c.doc.getIn(p.slice(0, n), true) as Node | undefined;
    if (!node) continue;
    if (key && isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
      if (pair && isScalar(pair.key) && pair.key.range) return c.lc.linePos(pair.key.range[0]);
    }
    if (node.range) return c.lc.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

const dotted = (p: (string | number)[]): string =>
  p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');

const valueAt = (data: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>(
    (o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined),
    data,
  );

/** One problem per unknown key, with the closest known key as a guess. */
function unknownKeys(keys: string[], path: (string | number)[], c: Source): ScenarioProblem[] {
  const known = knownKeys(c.data, path);
  return keys.map((k) => {
    const guess = closest(k, known);
    return {
      file: c.file,
      ...where(c, path, k),
      path: dotted([...path, k]),
      message: `unknown key "${k}"`,
      hint: guess ? `did you mean "${guess}"?` : known.length ? `known keys here: ${known.join(', ')}` : undefined,
    };
  });
}

/** A disaster or verify step whose `type` is missing or names no type, placed on the type. */
function unknownType(path: (string | number)[], c: Source): ScenarioProblem {
  const options = path.includes('disaster') ? DISASTER_TYPES : VERIFY_TYPES;
  const step = path[path.length - 1] === 'type' ? path.slice(0, -1) : path;
  const got = (valueAt(c.data, step) as { type?: unknown } | undefined)?.type;
  const message =
    got === undefined
      ? 'missing "type"'
      : `unknown ${step.includes('disaster') ? 'disaster' : 'verify'} type ${JSON.stringify(got)}`;
  const guess = typeof got === 'string' ? closest(got, options) : undefined;
  const hint = guess ? `did you mean "${guess}"? Types: ${options.join(', ')}` : `types: ${options.join(', ')}`;
  return { file: c.file, ...where(c, [...step, 'type']), path: dotted([...step, 'type']), message, hint };
}

/** A value of the wrong type, missing, or not among those allowed; zod's message otherwise. */
function fieldProblem(issue: z.core.$ZodIssue, path: (string | number)[], c: Source): ScenarioProblem {
  let message = issue.message;
  let hint: string | undefined;
  const value = valueAt(c.data, path);
  if (issue.code === 'invalid_union' && path[path.length - 1] !== 'type' && path.includes('disaster'))
    message = 'not a valid disaster step';
  if (issue.code === 'invalid_type' && value === undefined) {
    message = 'missing required field';
    hint = `add "${String(path[path.length - 1])}"`;
  } else if (issue.code === 'invalid_type') {
    message = `${issue.message.replace(/^Invalid input: /, '')}, got ${JSON.stringify(value)?.slice(0, 40)}`;
  } else if (issue.code === 'invalid_value') {
    const values = (issue as { values?: unknown[] }).values ?? [];
    hint = values.length ? `one of: ${values.map((v) => JSON.stringify(v)).join(', ')}` : undefined;
    message = `${JSON.stringify(value)} is not allowed here`;
  }
  hint ??=
    (issue.code as string) === 'custom'
      ? undefined
      : 'the format is in scenario.schema.json (your editor can complete it) and the README';
  return {
    file: c.file,
    ...where(c, path),
    path: dotted(path),
    message,
    hint: hint ?? 'see scenarios/*.yaml for working examples',
  };
}

function toProblems(
  issue: z.core.$ZodIssue,
  doc: Document,
  lc: LineCounter,
  file: string,
  data: unknown,
): ScenarioProblem[] {
  const c: Source = { doc, lc, file, data };
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') return unknownKeys(issue.keys, path, c);
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator')
    return [unknownType(path, c)];
  return [fieldProblem(issue, path, c)];
}

export const DISASTER_TYPES = [
  'delete-namespace',
  'delete-workload',
  'delete-pvc',
  'stop-nodes',
  'lose-zone',
  'command',
];
export const VERIFY_TYPES = ['workloads-ready', 'http', 'command', 'sentinel', 'inventory'];

/** Keys the schema allows in the object at `path`, following the data through unions by their type. */
function knownKeys(data: unknown, path: (string | number)[]): string[] {
  let schema: unknown = scenarioSchema;
  let cur: unknown = data;
  const unwrap = (s: unknown): unknown => {
    let x = s as { def?: { type?: string; innerType?: unknown; in?: unknown; schema?: unknown } };
    for (let i = 0; i < 10 && x?.def; i++) {
      const d = x.def;
      if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault' || d.type === 'nullable')
        x = d.innerType as typeof x;
      else if (d.type === 'pipe') x = d.in as typeof x;
      else break;
    }
    return x;
  };
  for (const seg of path) {
    const s = unwrap(schema) as {
      def: { type: string; shape?: Record<string, unknown>; element?: unknown; options?: unknown[] };
    };
    cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[seg] : undefined;
    if (s.def.type === 'object') schema = s.def.shape?.[String(seg)];
    else if (s.def.type === 'array') schema = s.def.element;
    else return [];
    const u = unwrap(schema) as {
      def?: { type: string; options?: { def: { shape: Record<string, { def: { values?: unknown[] } }> } }[] };
    };
    if (u?.def?.type === 'union') {
      const type = (cur as { type?: unknown } | undefined)?.type;
      schema = u.def.options?.find((o) => o.def.shape.type?.def.values?.includes(type));
    }
  }
  const s = unwrap(schema) as { def?: { type: string; shape?: Record<string, unknown> } };
  return s?.def?.type === 'object' ? Object.keys(s.def.shape ?? {}) : [];
}

export function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = levenshtein(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function formatProblems(problems: ScenarioProblem[]): string {
  return problems
    .map(
      (p) =>
        `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`,
    )
    .join('\n');
}

/** Loads a scenario or throws one DrillError (exit 2) listing every problem. */
export async function requireScenario(file: string): Promise<Scenario> {
  const r = await loadScenario(file);
  if (r.ok) return r.scenario;
  throw new DrillError(
    'SCENARIO_INVALID',
    `${file} is not a valid scenario (${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}):\n${formatProblems(r.problems)}`,
    ExitCode.Usage,
    { hint: 'fix these, then `kdrill validate` it; scenario.schema.json gives editor completion' },
  );
}
