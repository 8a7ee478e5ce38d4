import GithubSlugger, { slug as githubSlug } from 'github-slugger';
import { parse } from 'yaml';

/**
 * The runbook format: Markdown, one step per level-2 heading. Fenced blocks: ```sh run (runnable),
 * ```sh (shown only), ```expect (a pattern the previous runnable block's output should match).
 * Optional YAML front matter: scenario, rto, escalation { contact, rule }, external (commands that
 * need not be on PATH here).
 */
export interface RunbookBlock {
  kind: 'run' | 'show' | 'expect';
  lang: string;
  text: string;
  line: number;
  external: boolean;
}

export interface RunbookStep {
  title: string;
  anchor: string;
  line: number;
  prose: string;
  blocks: RunbookBlock[];
}

export interface Runbook {
  title?: string;
  frontMatter: {
    scenario?: string;
    rto?: string;
    escalation?: { contact?: string; rule?: string };
    external?: string[];
  };
  steps: RunbookStep[];
  links: { anchor: string; line: number }[];
}

export interface RunbookProblem {
  line: number;
  message: string;
  hint?: string;
}

const SHELLS = new Set(['sh', 'bash', 'shell', 'console']);
const SHOWN = new Set(['text', 'yaml', 'json', 'plaintext', '']);

/** A heading's anchor as GitHub makes it (github-slugger), without the -1, -2 of repeated headings. */
export function slug(heading: string): string {
  return githubSlug(heading);
}

export function parseRunbook(text: string): { runbook?: Runbook; problems: RunbookProblem[] } {
  if (!text.trim())
    return { problems: [{ line: 1, message: 'the runbook is empty', hint: 'start from one of runbooks/*.md' }] };
  const lines = text.split(/\r?\n/);
  const fm = readFrontMatter(lines);
  if ('fatal' in fm) return { problems: [fm.fatal] };
  const problems = [...fm.problems];
  const body = readBody(lines, fm.bodyStart, problems);
  if (!problems.length && body.steps.length === 0)
    problems.push({
      line: 1,
      message: 'the runbook has no steps',
      hint: 'each step is a level-2 heading: "## Restore the NetworkPolicies"',
    });
  problems.push(...linkProblems(body.links, body.anchors));
  for (const s of body.steps)
    for (const b of s.blocks)
      if (b.kind === 'run' && !b.text.trim()) problems.push({ line: b.line, message: 'an empty runnable block' });
  const { title, steps, links } = body;
  return { runbook: problems.length ? undefined : { title, frontMatter: fm.frontMatter, steps, links }, problems };
}

type FrontMatterRead =
  { fatal: RunbookProblem } | { frontMatter: Runbook['frontMatter']; bodyStart: number; problems: RunbookProblem[] };

function readFrontMatter(lines: string[]): FrontMatterRead {
  if (lines[0]?.trim() !== '---') return { frontMatter: {}, bodyStart: 0, problems: [] };
  const end = lines.findIndex((l, k) => k > 0 && l.trim() === '---');
  if (end < 0)
    return {
      fatal: { line: 1, message: 'front matter is not closed', hint: 'end it with a line of three dashes (---)' },
    };
  const problems: RunbookProblem[] = [];
  let frontMatter: Runbook['frontMatter'] = {};
  try {
    const fm = parse(lines.slice(1, end).join('\n'), { maxAliasCount: 50 }) as unknown;
    if (fm !== null && (typeof fm !== 'object' || Array.isArray(fm)))
      problems.push({
        line: 2,
        message: 'the front matter must be a YAML mapping (scenario, rto, escalation, external)',
        hint: 'write keys: values between the two --- lines',
      });
    else {
      frontMatter = (fm as Runbook['frontMatter'] | null) ?? {};
      problems.push(...frontMatterProblems(frontMatter));
    }
  } catch (e) {
    problems.push({ line: 2, message: `front matter is not valid YAML: ${(e as Error).message.split('\n')[0]}` });
  }
  return { frontMatter, bodyStart: end + 1, problems };
}

interface Body {
  title?: string;
  steps: RunbookStep[];
  links: Runbook['links'];
  /** Every heading's anchor, numbered as GitHub numbers repeats. */
  anchors: Set<string>;
}

/** The headings, steps, blocks and links after the front matter; problems are added as they are found. */
function readBody(lines: string[], start: number, problems: RunbookProblem[]): Body {
  const body: Body = { steps: [], links: [], anchors: new Set() };
  const slugger = new GithubSlugger();
  let step: RunbookStep | undefined;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    const no = i + 1;
    for (const m of line.matchAll(/\]\(#([^)\s]+)\)/g)) body.links.push({ anchor: m[1]!, line: no });
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      const close = readFence(lines, i, fence[2]!, fence[3]!, step, problems);
      if (close === undefined) break;
      i = close;
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    // every heading gets an anchor, and counts towards the -1, -2 of a repeated one
    const anchor = h ? slugger.slug(h[2]!) : '';
    if (h) body.anchors.add(anchor);
    if (h && h[1]!.length === 1 && !body.title) body.title = h[2];
    if (h && h[1]!.length === 2) {
      step = { title: h[2]!, anchor, line: no, prose: '', blocks: [] };
      body.steps.push(step);
      continue;
    }
    if (step) step.prose += `${line}\n`;
  }
  return body;
}

/**
 * The fenced block opening at line index `i`: added to `step` when it is well formed. Returns the
 * index of its closing line, or undefined when it is never closed (a problem, and the end of parsing).
 */
function readFence(
  lines: string[],
  i: number,
  marker: string,
  infoText: string,
  step: RunbookStep | undefined,
  problems: RunbookProblem[],
): number | undefined {
  const no = i + 1;
  const info = infoText.trim().split(/\s+/).filter(Boolean);
  const lang = (info[0] ?? '').toLowerCase();
  const flags = info.slice(1);
  const close = lines.findIndex(
    (l, k) => k > i && l.trim().startsWith(marker[0]!.repeat(marker.length)) && l.trim().replace(/[`~]/g, '') === '',
  );
  if (close < 0) {
    problems.push({
      line: no,
      message: `the code fence opened here (${marker}${infoText}) is never closed`,
      hint: `close it with ${marker} on a line of its own`,
    });
    return undefined;
  }
  const body = lines.slice(i + 1, close).join('\n');
  const kind = blockKind(lang, flags);
  const problem = fenceProblem(kind, flags, infoText.trim(), step);
  if (problem) problems.push({ line: no, ...problem });
  else if (step && kind) {
    if (kind === 'expect') problems.push(...expectProblems(body, no, step));
    step.blocks.push({ kind, lang, text: body, line: no, external: flags.includes('external') });
  }
  return close;
}

function blockKind(lang: string, flags: string[]): RunbookBlock['kind'] | undefined {
  if (lang === 'expect') return 'expect';
  if (SHELLS.has(lang)) return flags.includes('run') ? 'run' : 'show';
  if (SHOWN.has(lang)) return 'show';
  return undefined;
}

function fenceProblem(
  kind: RunbookBlock['kind'] | undefined,
  flags: string[],
  info: string,
  step: RunbookStep | undefined,
): Omit<RunbookProblem, 'line'> | undefined {
  if (!kind)
    return {
      message: `unknown fence type "${info}"`,
      hint: 'use ```sh run (runnable), ```sh (shown), ```expect (a pattern), or text/yaml/json',
    };
  if (flags.some((f) => f !== 'run' && f !== 'external'))
    return { message: `unknown fence flag in "${info}"`, hint: 'the flags are run and external' };
  if (!step) return { message: 'a code block before the first step', hint: 'put it under a "## " heading' };
  return undefined;
}

function expectProblems(body: string, no: number, step: RunbookStep): RunbookProblem[] {
  const out: RunbookProblem[] = [];
  try {
    new RegExp(body.trim());
  } catch (e) {
    out.push({
      line: no + 1,
      message: `the expect pattern is not a valid regular expression: ${(e as Error).message}`,
    });
  }
  if (!step.blocks.some((b) => b.kind === 'run'))
    out.push({
      line: no,
      message: 'an expect block with no runnable block before it in this step',
      hint: 'put the ```sh run block first',
    });
  return out;
}

function linkProblems(links: Runbook['links'], anchors: Set<string>): RunbookProblem[] {
  return links
    .filter((l) => !anchors.has(l.anchor))
    .map((l) => ({
      line: l.line,
      message: `the link to #${l.anchor} does not resolve`,
      hint: `anchors here: ${[...anchors].join(', ')}`,
    }));
}

// shell words that are not programs to look for on PATH
const KEYWORDS = new Set(
  (
    'if then else elif fi for in do done while until case esac echo export cd test [ [[ true false set ' +
    'sleep exit printf read break continue return local seq'
  ).split(' '),
);

/** The programs a runnable block calls: the first word of each simple command, past env assignments. */
export function commandsOf(script: string): string[] {
  const out = new Set<string>();
  const text = script
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .replace(/\bcase\b[\s\S]*?\besac\b/g, ';') // patterns of a case are not commands
    .replace(/\$\(|`/g, ';') // command substitutions start commands of their own
    .replace(/[()]/g, ' ');
  for (const part of text.split(/\s*(?:&&|\|\||\||;|\n|\bdo\b|\bthen\b|\belse\b)\s*/)) {
    const words = part
      .trim()
      .split(/\s+/)
      .filter((w) => w && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
    const cmd = words[0];
    if (cmd && /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/.test(cmd) && !KEYWORDS.has(cmd)) out.add(cmd);
  }
  return [...out];
}

/** Each front matter key with the type it must have: wrong types would break the session later, far from their line. */
function frontMatterProblems(fm: Record<string, unknown>): { line: number; message: string; hint?: string }[] {
  const out: { line: number; message: string; hint?: string }[] = [];
  const str = (v: unknown): boolean => typeof v === 'string';
  for (const k of ['scenario', 'rto'] as const)
    if (fm[k] !== undefined && !str(fm[k]))
      out.push({
        line: 2,
        message: `front matter "${k}" must be a string`,
        hint: k === 'rto' ? 'e.g. rto: 4h' : 'e.g. scenario: scenarios/namespace-loss.yaml',
      });
  const esc = fm.escalation;
  if (
    esc !== undefined &&
    (typeof esc !== 'object' || esc === null || Array.isArray(esc) || Object.values(esc).some((v) => !str(v)))
  )
    out.push({
      line: 2,
      message: 'front matter "escalation" must be a mapping of strings (contact, rule)',
      hint: 'e.g. escalation: {contact: on-call lead, rule: "after 30 minutes"}',
    });
  const ext = fm.external;
  if (ext !== undefined && !(Array.isArray(ext) && ext.every(str)))
    out.push({
      line: 2,
      message: 'front matter "external" must be a list of command names',
      hint: 'e.g. external: [aws, gcloud]',
    });
  for (const k of Object.keys(fm))
    if (!['scenario', 'rto', 'escalation', 'external'].includes(k))
      out.push({
        line: 2,
        message: `unknown front matter key "${k}"`,
        hint: 'the keys are scenario, rto, escalation, external',
      });
  return out;
}
