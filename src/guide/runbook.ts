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

/** GitHub's heading anchors: lowercase, spaces to dashes, punctuation dropped. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

export function parseRunbook(text: string): { runbook?: Runbook; problems: RunbookProblem[] } {
  const problems: RunbookProblem[] = [];
  if (!text.trim())
    return { problems: [{ line: 1, message: 'the runbook is empty', hint: 'start from one of runbooks/*.md' }] };
  const lines = text.split(/\r?\n/);
  let i = 0;
  let frontMatter: Runbook['frontMatter'] = {};
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, k) => k > 0 && l.trim() === '---');
    if (end < 0)
      return {
        problems: [
          { line: 1, message: 'front matter is not closed', hint: 'end it with a line of three dashes (---)' },
        ],
      };
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
    i = end + 1;
  }
  const steps: RunbookStep[] = [];
  const links: Runbook['links'] = [];
  let title: string | undefined;
  let step: RunbookStep | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const no = i + 1;
    for (const m of line.matchAll(/\]\(#([^)\s]+)\)/g)) links.push({ anchor: m[1]!, line: no });
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      const marker = fence[2]!;
      const info = fence[3]!.trim().split(/\s+/).filter(Boolean);
      const lang = (info[0] ?? '').toLowerCase();
      const flags = info.slice(1);
      const close = lines.findIndex(
        (l, k) =>
          k > i && l.trim().startsWith(marker[0]!.repeat(marker.length)) && l.trim().replace(/[`~]/g, '') === '',
      );
      if (close < 0) {
        problems.push({
          line: no,
          message: `the code fence opened here (${marker}${fence[3]}) is never closed`,
          hint: `close it with ${marker} on a line of its own`,
        });
        break;
      }
      const body = lines.slice(i + 1, close).join('\n');
      let kind: RunbookBlock['kind'] | undefined;
      if (lang === 'expect') kind = 'expect';
      else if (SHELLS.has(lang)) kind = flags.includes('run') ? 'run' : 'show';
      else if (SHOWN.has(lang)) kind = 'show';
      if (!kind)
        problems.push({
          line: no,
          message: `unknown fence type "${fence[3]!.trim()}"`,
          hint: 'use ```sh run (runnable), ```sh (shown), ```expect (a pattern), or text/yaml/json',
        });
      else if (flags.some((f) => f !== 'run' && f !== 'external'))
        problems.push({
          line: no,
          message: `unknown fence flag in "${fence[3]!.trim()}"`,
          hint: 'the flags are run and external',
        });
      else if (!step)
        problems.push({
          line: no,
          message: 'a code block before the first step',
          hint: 'put it under a "## " heading',
        });
      else {
        if (kind === 'expect') {
          try {
            new RegExp(body.trim());
          } catch (e) {
            problems.push({
              line: no + 1,
              message: `the expect pattern is not a valid regular expression: ${(e as Error).message}`,
            });
          }
          if (!step.blocks.some((b) => b.kind === 'run'))
            problems.push({
              line: no,
              message: 'an expect block with no runnable block before it in this step',
              hint: 'put the ```sh run block first',
            });
        }
        step.blocks.push({ kind, lang, text: body, line: no, external: flags.includes('external') });
      }
      i = close;
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h && h[1]!.length === 1 && !title) title = h[2];
    if (h && h[1]!.length === 2) {
      step = { title: h[2]!, anchor: slug(h[2]!), line: no, prose: '', blocks: [] };
      steps.push(step);
      continue;
    }
    if (step) step.prose += `${line}\n`;
  }
  if (!problems.length && steps.length === 0)
    problems.push({
      line: 1,
      message: 'the runbook has no steps',
      hint: 'each step is a level-2 heading: "## Restore the NetworkPolicies"',
    });
  const anchors = new Set([...steps.map((s) => s.anchor), ...(title ? [slug(title)] : [])]);
  for (const l of links)
    if (!anchors.has(l.anchor))
      problems.push({
        line: l.line,
        message: `the link to #${l.anchor} does not resolve`,
        hint: `anchors here: ${[...anchors].join(', ')}`,
      });
  for (const s of steps)
    for (const b of s.blocks)
      if (b.kind === 'run' && !b.text.trim()) problems.push({ line: b.line, message: 'an empty runnable block' });
  return { runbook: problems.length ? undefined : { title, frontMatter, steps, links }, problems };
}

/** The programs a runnable block calls: the first word of each simple command, past env assignments. */
export function commandsOf(script: string): string[] {
  const KEYWORDS = new Set([
    'if',
    'then',
    'else',
    'elif',
    'fi',
    'for',
    'in',
    'do',
    'done',
    'while',
    'until',
    'case',
    'esac',
    'echo',
    'export',
    'cd',
    'test',
    '[',
    '[[',
    'true',
    'false',
    'set',
    'sleep',
    'exit',
    'printf',
    'read',
    'break',
    'continue',
    'return',
    'local',
    'seq',
  ]);
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
