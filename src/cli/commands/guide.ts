import type { Argv } from 'yargs';

/** `kdrill guide --check`: validates a runbook. (The guided session itself is issue E's next step.) */
export function registerGuide(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'guide <runbook>',
    'Runbooks for guided recovery: --check validates one (steps, fences, anchors, commands on PATH)',
    (c) =>
      c
        .positional('runbook', { type: 'string', demandOption: true, describe: 'A Markdown runbook, e.g. runbooks/namespace-loss.md' })
        .option('check', { type: 'boolean', demandOption: true, describe: 'Validate the runbook (required for now: the guided session is not built yet)' })
        .example('$0 guide runbooks/namespace-loss.md --check', ''),
    async (a) => {
      const file = (a as unknown as { runbook: string }).runbook;
      const { checkRunbook } = await import('../../guide/check.js');
      const r = await checkRunbook(file);
      if (r.runbook) {
        process.stdout.write(`${file}: ok (${r.runbook.steps.length} steps: ${r.runbook.steps.map((s) => s.title).join('; ')})\n`);
        return;
      }
      for (const p of r.problems) process.stderr.write(`${file}:${p.line}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}\n`);
      setExit(2);
    },
  );
}
