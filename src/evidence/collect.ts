import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { VERSION } from '../cli/version.js';
import type { DrillResult } from '../drill/types.js';
import { DrillError, ExitCode } from '../errors.js';
import type { PackEntry } from './tar.js';

/** A file of the pack and what it is. */
export interface PackFile extends PackEntry {
  what: string;
}

/** The run's own files, in the order the pack lists them; the first two make a run directory. */
const RUN_FILES: [string, string][] = [
  ['result.json', 'the evidence: verdict, objectives, timeline, restores, checks, findings, action items, controls'],
  ['journal.jsonl', 'the journal: every step as it happened, each record chained to the one before by SHA-256'],
  ['retrospective.md', 'the retrospective: what went well, what to improve, action items'],
  ['report.html', 'the report with the timeline as a chart'],
  ['junit.xml', 'the checks as JUnit test cases'],
  ['scenario.yaml', 'the scenario exactly as run'],
];

/** Audit, scope and lint outputs a run directory may hold (CI writes `kdrill audit -o markdown > audit.md`). */
const EXTRA = /^(audit|scope|lint)([.-][\w-]+)?\.(json|md)$/;

const json = (v: unknown): Buffer => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);

export interface RunFiles {
  result: DrillResult;
  /** The scenario as run, parsed but not validated: a newer kdrill may have written fields this one does not know. */
  scenario: unknown;
  files: PackFile[];
}

async function readRunFile(dir: string, name: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(dir, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function notARun(dir: string, why: string): DrillError {
  return new DrillError('NOT_A_RUN_DIR', `${dir} is not the report directory of a run: ${why}`, ExitCode.Usage, {
    hint: 'pack the directory kdrill run wrote (drill-reports/<scenario>-<time>/), with its result.json and journal.jsonl',
  });
}

function parseResult(dir: string, raw: Buffer): DrillResult {
  try {
    const r = JSON.parse(raw.toString('utf8')) as DrillResult;
    if (typeof r.runId === 'string' && typeof r.scenario === 'string' && Array.isArray(r.verify)) return r;
  } catch {
    // said below
  }
  throw notARun(dir, 'its result.json is not the result of a drill');
}

/** The files derived from result.json: the audit, scope and lint it holds, when the directory has none of its own. */
function derived(r: DrillResult, have: Set<string>): PackFile[] {
  const loose = r as unknown as Record<string, unknown>;
  const out: PackFile[] = [];
  const add = (name: string, value: unknown, what: string): void => {
    if (value !== undefined && !have.has(name)) out.push({ path: name, data: json(value), what });
  };
  add('audit.json', r.protection, 'the backup protection audit (Object Lock, retention, canary) of the run');
  add('scope.json', loose.scope ?? r.backupScope, 'what the backup held of the targets, and what it missed');
  add('lint.json', loose.lint, 'the lint of known restore and maintenance traps');
  add(
    'versions.json',
    { ...(r.versions ?? { note: 'not recorded by the kdrill that ran this drill' }), packedBy: VERSION },
    'kdrill, Kubernetes and Velero versions',
  );
  return out;
}

/** Reads a run directory: its own files, the audit/scope/lint outputs it holds, and what result.json holds of them. */
export async function collectRun(dir: string): Promise<RunFiles> {
  const result = await readRunFile(dir, 'result.json');
  if (!result) throw notARun(dir, 'it has no result.json');
  if (!(await readRunFile(dir, 'journal.jsonl'))) throw notARun(dir, 'it has no journal.jsonl');
  const r = parseResult(dir, result);
  const files: PackFile[] = [];
  for (const [name, what] of RUN_FILES) {
    const data = await readRunFile(dir, name);
    if (data) files.push({ path: name, data, what });
  }
  const extras = (await readdir(dir)).filter((n) => EXTRA.test(n)).sort();
  for (const name of extras)
    files.push({ path: name, data: (await readRunFile(dir, name))!, what: `${name} of the run` });
  files.push(...derived(r, new Set(extras)));
  const scenarioText = files.find((f) => f.path === 'scenario.yaml')?.data.toString('utf8');
  let scenario: unknown;
  try {
    scenario = scenarioText ? parse(scenarioText) : undefined;
  } catch {
    scenario = undefined;
  }
  return { result: r, scenario, files };
}
