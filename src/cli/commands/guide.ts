import type { Argv, Options } from 'yargs';
import type { Runbook } from '../../guide/runbook.js';
import { usageError } from '../../errors.js';
import { defineCommand, toModule, type ArgsOf, type CliContext } from '../command.js';
import { KUBE_OPTIONS } from '../options.js';
import { scenarioTarget } from '../scenario-target.js';
import { selfArgv } from '../self-argv.js';

const GUIDE_OPTIONS = {
  ...KUBE_OPTIONS,
  resume: { type: 'string', describe: 'Continue the guided session whose report directory this is' },
  check: {
    type: 'boolean',
    default: false,
    describe: 'Validate the runbook: steps, fences, anchors, commands on PATH',
  },
  yes: {
    type: 'boolean',
    default: false,
    describe: 'Run every runnable step in order, stop at the first failure (for CI)',
  },
  scenario: { type: 'string', describe: "Inject this scenario's disaster first, and run its verify steps at the end" },
  lab: { type: 'boolean', default: false, describe: 'Guide the recovery of an ephemeral lab (no cluster needed)' },
  'keep-lab': { type: 'boolean', default: false, describe: 'With --lab: leave the lab running afterwards' },
  out: { type: 'string', describe: 'Report directory (default ./drill-reports/<scenario>-<UTC time>/)' },
  'allow-context': {
    type: 'string',
    array: true,
    describe: 'Allow --scenario to inject its disaster in this context (also KDRILL_ALLOW_CONTEXTS, .kdrill.yaml)',
  },
  'action-owner': {
    type: 'string',
    describe: "Who owns the drill's action items (default: the scenario's drill.leader)",
  },
} as const satisfies Record<string, Options>;

const GUIDE_EXAMPLES: [string, string][] = [
  ['$0 guide runbooks/namespace-loss.md --check', 'validate a runbook'],
  [
    '$0 guide runbooks/namespace-loss.md --scenario scenarios/namespace-loss.yaml --lab',
    'a guided drill: the disaster, then you follow the runbook',
  ],
  [
    '$0 guide runbooks/namespace-loss.md --yes --lab --scenario scenarios/namespace-loss.yaml',
    'the same, unattended (CI)',
  ],
  ['$0 guide --resume drill-reports/namespace-loss-20261125T020000Z', 'after a crash or a closed terminal'],
];

const builder = (c: Argv) =>
  c
    .positional('runbook', { type: 'string', describe: 'A Markdown runbook, e.g. runbooks/namespace-loss.md' })
    .options(GUIDE_OPTIONS)
    .example(GUIDE_EXAMPLES);

type GuideArgs = ArgsOf<typeof builder>;

/**
 * `kdrill guide`: runbooks for guided recovery. --check validates one; --yes follows it without
 * questions (for CI), after injecting the scenario's disaster, and verifies the recovery.
 */
const guide = defineCommand({
  command: 'guide [runbook]',
  describe:
    'Guided recovery from a Markdown runbook, step by step with a clock; --check validates it; --yes runs it unattended',
  builder,
  run: async (a) => {
    if (a.resume) return resumeGuide(a.resume, a);
    if (!a.runbook)
      throw usageError(
        'name a runbook, or --resume <report dir>',
        'e.g. kdrill guide runbooks/namespace-loss.md --check',
      );
    const { checkRunbook } = await import('../../guide/check.js');
    const r = await checkRunbook(a.runbook);
    if (!r.runbook) {
      for (const p of r.problems)
        process.stderr.write(`${a.runbook}:${p.line}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}\n`);
      return 2;
    }
    if (a.check && !a.yes) {
      const titles = r.runbook.steps.map((s) => s.title).join('; ');
      process.stdout.write(`${a.runbook}: ok (${r.runbook.steps.length} steps: ${titles})\n`);
      return undefined;
    }
    return guidedDrill(a.runbook, r.runbook, a);
  },
});

/** A guided session that was interrupted (a crash, a closed terminal), continued from its journal. */
async function resumeGuide(dir: string, a: GuideArgs): Promise<number> {
  const { resumeRun } = await import('../../drill/service.js');
  const { labLauncher } = await import('../lab-launcher.js');
  const { plainReporter } = await import('../progress.js');
  const { terminalUi } = await import('../guide-ui.js');
  const t = await terminalUi();
  try {
    const res = await resumeRun(dir, {
      allowContexts: a.allowContext ?? [],
      reporter: plainReporter(),
      ui: t.ui,
      self: selfArgv(),
      labLauncher,
    });
    if (res.result)
      process.stdout.write(
        `\n${res.result.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${res.result.scenario}; report: ${res.dir}/retrospective.md\n`,
      );
    return res.exitCode;
  } finally {
    t.close();
  }
}

/** The scenario's disaster, then the runbook (with an operator, or unattended with --yes), then its checks. */
async function guidedDrill(file: string, runbook: Runbook, a: GuideArgs): Promise<number> {
  if (!a.scenario)
    throw usageError(
      'a guided drill needs --scenario: the disaster to recover from and the checks that prove it',
      'e.g. --scenario scenarios/namespace-loss.yaml --lab',
    );
  const { runScenario } = await import('../../drill/service.js');
  const { labLauncher } = await import('../lab-launcher.js');
  const { plainReporter } = await import('../progress.js');
  const t = a.yes ? undefined : await (await import('../guide-ui.js')).terminalUi();
  const res = await runScenario({
    ...scenarioTarget(a.scenario, a),
    reporter: plainReporter(),
    runbook: { file, runbook, ui: t?.ui },
    labLauncher,
    actionOwner: a.actionOwner,
  }).finally(() => t?.close());
  if (res.result)
    process.stdout.write(
      `${res.result.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${res.result.scenario} recovered by ${file}; report: ${res.dir}/retrospective.md\n`,
    );
  if (res.exitCode === 130) process.stdout.write(`paused: continue with  kdrill guide --resume ${res.dir}\n`);
  return res.exitCode;
}

export function registerGuide(y: Argv, ctx: CliContext): void {
  y.command(toModule(guide, ctx));
}
