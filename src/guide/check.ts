import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { commandsOf, parseRunbook, type Runbook, type RunbookProblem } from './runbook.js';

export function onPath(cmd: string): boolean {
  if (cmd.includes('/')) return existsSync(cmd);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/** `kdrill guide --check`: parses the runbook and checks its commands exist here (or are marked external). */
export async function checkRunbook(file: string): Promise<{ runbook?: Runbook; problems: RunbookProblem[] }> {
  let text: string;
  try {
    if ((await stat(file)).isDirectory())
      return { problems: [{ line: 1, message: 'is a directory, not a runbook', hint: 'pass the Markdown file' }] };
    text = await readFile(file, 'utf8');
  } catch (e) {
    return {
      problems: [
        {
          line: 1,
          message: `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
          hint: 'check the path',
        },
      ],
    };
  }
  const { runbook, problems } = parseRunbook(text);
  if (!runbook) return { problems };
  const external = new Set(runbook.frontMatter.external ?? []);
  for (const s of runbook.steps) {
    for (const b of s.blocks) {
      if (b.kind !== 'run' || b.external) continue;
      for (const cmd of commandsOf(b.text)) {
        if (cmd === 'kdrill' || external.has(cmd) || onPath(cmd)) continue;
        problems.push({
          line: b.line,
          message: `"${cmd}" is not on PATH here`,
          hint: `install it, or mark the block \`\`\`sh run external (or list it under external: in the front matter)`,
        });
      }
    }
  }
  return { runbook: problems.length ? undefined : runbook, problems };
}
