import type { Argv } from 'yargs';
import type { Reporter } from '../../drill/runner.js';
import type { DrillResult } from '../../drill/types.js';
import type { PublishOptions } from '../../history/publish.js';
import { detectionSummary } from '../../report/detection-summary.js';
import { kubeOptions, type KubeArgs } from '../kube-options.js';
import { selfArgv } from '../self-argv.js';

interface RunArgs extends KubeArgs {
  scenario: string;
  lab: boolean;
  keepLab: boolean;
  allowContext?: string[];
  out?: string;
  output: 'text' | 'json';
}

/** validate, plan, run and resume: the drill itself. */
export function registerDrill(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'validate <files..>',
    'Check scenario files: every problem at file:line:col, with a hint',
    (c) =>
      c
        .positional('files', { type: 'string', array: true, describe: 'Scenario YAML files' })
        .example('$0 validate scenarios/*.yaml', ''),
    async (a) => {
      const { loadScenario, formatProblems } = await import('../../scenario/load.js');
      let bad = 0;
      for (const f of (a as unknown as { files: string[] }).files) {
        const r = await loadScenario(f);
        if (r.ok) process.stdout.write(`${f}: ok (${r.scenario.metadata.name})\n`);
        else {
          bad++;
          process.stderr.write(`${formatProblems(r.problems)}\n`);
        }
      }
      if (bad) setExit(2);
    },
  );

  y.command(
    'plan <scenario>',
    'Show everything a drill would do, touching nothing (reads the cluster, if reachable, for the blast radius)',
    (c) =>
      kubeOptions(c)
        .positional('scenario', { type: 'string', demandOption: true })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const })
        .option('offline', { type: 'boolean', default: false, describe: 'Do not read the cluster' }),
    async (a) => {
      const args = a as unknown as RunArgs & { offline: boolean };
      const { requireScenario } = await import('../../scenario/load.js');
      const { buildPlan, blastRadius, renderPlan } = await import('../../drill/plan.js');
      const s = await requireScenario(args.scenario);
      const plan = buildPlan(s);
      if (!args.offline) {
        try {
          const { connectKube } = await import('../../kube/client-node.js');
          plan.blastRadius = await blastRadius(
            connectKube({ kubeconfig: args.kubeconfig, context: args.context ?? s.spec.target.context }),
            s,
          );
        } catch (e) {
          plan.blastRadius = {
            context: args.context ?? '',
            namespaces: [],
            nodes: [],
            pvcs: 0,
            note: `the cluster could not be read (${(e as Error).message.split('\n')[0]}): blast radius unknown`,
          };
        }
      }
      process.stdout.write(args.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
    },
  );

  const runOptions = <T>(c: Argv<T>) =>
    kubeOptions(c)
      .option('allow-context', {
        type: 'string',
        array: true,
        describe: 'Allow destructive steps in this context (also KDRILL_ALLOW_CONTEXTS, .kdrill.yaml)',
      })
      .option('output', {
        alias: 'o',
        choices: ['text', 'json'] as const,
        default: 'text' as const,
        describe: 'json: print only the evidence (result.json)',
      });

  y.command(
    'run <scenario>',
    'Run a drill: preflight, baseline, inject, restore (NetworkPolicies first), verify, RTO/RPO, retrospective',
    (c) =>
      runOptions(c)
        .positional('scenario', { type: 'string', demandOption: true })
        .option('lab', { type: 'boolean', default: false, describe: 'Run in an ephemeral lab (no cluster needed)' })
        .option('keep-lab', {
          type: 'boolean',
          default: false,
          describe: 'With --lab: leave the lab running afterwards',
        })
        .option('out', {
          type: 'string',
          describe: 'Report directory (default ./drill-reports/<scenario>-<UTC time>/)',
        })
        .option('history', {
          type: 'string',
          describe:
            'Append the run to this history: a directory or s3://bucket/prefix (default: history/ beside the report dir; --no-history: none)',
        })
        .option('history-endpoint', {
          type: 'string',
          describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
        })
        .option('metrics-file', {
          type: 'string',
          describe:
            "Write the run's Prometheus metrics here (node_exporter textfile collector: a .prom file in its directory)",
        })
        .option('pushgateway', { type: 'string', describe: 'Push the same metrics to this Prometheus Pushgateway URL' })
        .example('$0 run scenarios/namespace-loss.yaml --lab', 'a full drill in the lab')
        .example(
          '$0 run drill.yaml --history s3://drill-history/kdrill --metrics-file /var/lib/node_exporter/kdrill.prom',
          'remember the run in S3 and expose it to Prometheus',
        )
        .example('$0 run drill.yaml --context kind-drill --allow-context kind-drill', 'against kind'),
    async (a) => {
      const args = a as unknown as RunArgs & PublishOptions;
      const { checkPublishOptions } = await import('../../history/check.js');
      const publish = checkPublishOptions({
        history: args.history,
        historyEndpoint: args.historyEndpoint,
        metricsFile: args.metricsFile,
        pushgateway: args.pushgateway,
      });
      const { runScenario } = await import('../../drill/service.js');
      const { labLauncher } = await import('../lab-launcher.js');
      const r = await withReporter(args.output, (reporter) =>
        runScenario({
          file: args.scenario,
          kubeconfig: args.kubeconfig,
          context: args.context,
          allowContexts: args.allowContext ?? [],
          lab: args.lab,
          keepLab: args.keepLab,
          out: args.out,
          reporter,
          self: selfArgv(),
          publish,
          labLauncher,
        }),
      );
      finish(r, args.output, setExit);
    },
  );

  y.command(
    'resume <dir>',
    'Finish an interrupted drill, or one whose recovery did not finish (exit 5), from its journal: a Restore already created is waited on, not created again; a verified recovery is never repeated',
    (c) =>
      runOptions(c).positional('dir', { type: 'string', demandOption: true }).option('force', {
        type: 'boolean',
        default: false,
        describe: "Resume although the journal's hash chain is broken (it was edited): only when you know what changed",
      }),
    async (a) => {
      const args = a as unknown as RunArgs & { dir: string; force: boolean };
      const { resumeRun } = await import('../../drill/service.js');
      const { labLauncher } = await import('../lab-launcher.js');
      const r = await withReporter(args.output, (reporter) =>
        resumeRun(args.dir, { allowContexts: args.allowContext ?? [], reporter, labLauncher, force: args.force }),
      );
      finish(r, args.output, setExit);
    },
  );
}

async function withReporter<T>(output: string, fn: (r: Reporter) => Promise<T>): Promise<T> {
  const { plainReporter, silentReporter, listrReporter } = await import('../progress.js');
  if (output === 'json') return fn(silentReporter);
  if (!process.stderr.isTTY) return fn(plainReporter());
  const l = await listrReporter([
    'preflight',
    'baseline',
    'backup',
    'inject',
    'recover',
    'verify',
    'cleanup',
    'report',
  ]);
  try {
    return await fn(l.reporter);
  } finally {
    await l.done();
  }
}

function finish(
  r: { exitCode: number; result?: DrillResult; dir: string },
  output: string,
  setExit: (c: number) => void,
): void {
  setExit(r.exitCode);
  if (!r.result) return;
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(r.result, null, 2)}\n`);
    return;
  }
  const o = r.result.objectives;
  const f = (x: number | null): string => (x === null ? 'n/a' : `${x.toFixed(1)}s`);
  process.stdout.write(
    `\n${r.result.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${r.result.scenario} (run ${r.result.runId})\n` +
      `  RTO ${f(o.rto.measuredSeconds)} (objective ${o.rto.objectiveSeconds}s) ${o.rto.met ? 'met' : 'BREACHED'}\n` +
      `  RPO ${f(o.rpo.measuredSeconds)} (objective ${o.rpo.objectiveSeconds}s) ${o.rpo.met ? 'met' : 'BREACHED'}\n` +
      `  retention ${o.retention.met ? 'met' : 'BREACHED'}: ${o.retention.detail}\n` +
      detectionSummary(r.result) +
      r.result.findings
        .filter((x) => x.severity !== 'P3')
        .map((x) => `  ${x.severity} ${x.code}: ${x.message}\n`)
        .join('') +
      `  report: ${r.dir}/retrospective.md\n`,
  );
}
