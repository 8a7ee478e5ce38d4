import type { Argv } from 'yargs';
import { kubeOptions } from '../kube-options.js';
import { selfArgv } from '../self-argv.js';

interface GuideArgs {
  runbook?: string;
  resume?: string;
  check: boolean;
  yes: boolean;
  scenario?: string;
  lab: boolean;
  keepLab: boolean;
  out?: string;
  allowContext?: string[];
  kubeconfig?: string;
  context?: string;
  actionOwner?: string;
}

/**
 * `kdrill guide`: runbooks for guided recovery. --check validates one; --yes follows it without
 * questions (for CI), after injecting the scenario's disaster, and verifies the recovery.
 * The interactive session for an operator at a terminal is issue E's next step.
 */
export function registerGuide(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'guide [runbook]',
    'Guided recovery from a Markdown runbook, step by step with a clock; --check validates it; --yes runs it unattended',
    (c) =>
      kubeOptions(c)
        .positional('runbook', { type: 'string', describe: 'A Markdown runbook, e.g. runbooks/namespace-loss.md' })
        .option('resume', { type: 'string', describe: 'Continue the guided session whose report directory this is' })
        .option('check', {
          type: 'boolean',
          default: false,
          describe: 'Validate the runbook: steps, fences, anchors, commands on PATH',
        })
        .option('yes', {
          type: 'boolean',
          default: false,
          describe: 'Run every runnable step in order, stop at the first failure (for CI)',
        })
        .option('scenario', {
          type: 'string',
          describe: "Inject this scenario's disaster first, and run its verify steps at the end",
        })
        .option('lab', {
          type: 'boolean',
          default: false,
          describe: 'Guide the recovery of an ephemeral lab (no cluster needed)',
        })
        .option('keep-lab', {
          type: 'boolean',
          default: false,
          describe: 'With --lab: leave the lab running afterwards',
        })
        .option('out', {
          type: 'string',
          describe: 'Report directory (default ./drill-reports/<scenario>-<UTC time>/)',
        })
        .option('allow-context', {
          type: 'string',
          array: true,
          describe:
            'Allow --scenario to inject its disaster in this context (also KDRILL_ALLOW_CONTEXTS, .kdrill.yaml)',
        })
        .option('action-owner', {
          type: 'string',
          describe: "Who owns the drill's action items (default: the scenario's drill.leader)",
        })
        .example('$0 guide runbooks/namespace-loss.md --check', 'validate a runbook')
        .example(
          '$0 guide runbooks/namespace-loss.md --scenario scenarios/namespace-loss.yaml --lab',
          'a guided drill: the disaster, then you follow the runbook',
        )
        .example(
          '$0 guide runbooks/namespace-loss.md --yes --lab --scenario scenarios/namespace-loss.yaml',
          'the same, unattended (CI)',
        )
        .example(
          '$0 guide --resume drill-reports/namespace-loss-20261125T020000Z',
          'after a crash or a closed terminal',
        ),
    async (a) => {
      const args = a as unknown as GuideArgs;
      const { usageError } = await import('../../errors.js');
      if (args.resume) {
        const { resumeRun } = await import('../../drill/service.js');
        const { labLauncher } = await import('../lab-launcher.js');
        const { plainReporter } = await import('../progress.js');
        const { terminalUi } = await import('../guide-ui.js');
        const t = await terminalUi();
        try {
          const res = await resumeRun(args.resume, {
            allowContexts: args.allowContext ?? [],
            reporter: plainReporter(),
            ui: t.ui,
            self: selfArgv(),
            labLauncher,
          });
          setExit(res.exitCode);
          if (res.result)
            process.stdout.write(
              `\n${res.result.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${res.result.scenario}; report: ${res.dir}/retrospective.md\n`,
            );
        } finally {
          t.close();
        }
        return;
      }
      if (!args.runbook)
        throw usageError(
          'name a runbook, or --resume <report dir>',
          'e.g. kdrill guide runbooks/namespace-loss.md --check',
        );
      const { checkRunbook } = await import('../../guide/check.js');
      const r = await checkRunbook(args.runbook);
      if (!r.runbook) {
        for (const p of r.problems)
          process.stderr.write(`${args.runbook}:${p.line}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}\n`);
        setExit(2);
        return;
      }
      if (args.check && !args.yes) {
        process.stdout.write(
          `${args.runbook}: ok (${r.runbook.steps.length} steps: ${r.runbook.steps.map((s) => s.title).join('; ')})\n`,
        );
        return;
      }
      if (!args.scenario)
        throw usageError(
          'a guided drill needs --scenario: the disaster to recover from and the checks that prove it',
          'e.g. --scenario scenarios/namespace-loss.yaml --lab',
        );
      const { runScenario } = await import('../../drill/service.js');
      const { labLauncher } = await import('../lab-launcher.js');
      const { plainReporter } = await import('../progress.js');
      const t = args.yes ? undefined : await (await import('../guide-ui.js')).terminalUi();
      const res = await runScenario({
        file: args.scenario,
        kubeconfig: args.kubeconfig,
        context: args.context,
        allowContexts: args.allowContext ?? [],
        lab: args.lab,
        keepLab: args.keepLab,
        out: args.out,
        reporter: plainReporter(),
        self: selfArgv(),
        runbook: { file: args.runbook, runbook: r.runbook, ui: t?.ui },
        labLauncher,
        actionOwner: args.actionOwner,
      }).finally(() => t?.close());
      setExit(res.exitCode);
      if (res.result)
        process.stdout.write(
          `${res.result.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${res.result.scenario} recovered by ${args.runbook}; report: ${res.dir}/retrospective.md\n`,
        );
      if (res.exitCode === 130) process.stdout.write(`paused: continue with  kdrill guide --resume ${res.dir}\n`);
    },
  );
}
