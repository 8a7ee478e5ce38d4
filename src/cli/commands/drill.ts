import type { Argv, Options } from 'yargs';
import type { Reporter } from '../../drill/runner.js';
import type { DrillResult } from '../../drill/types.js';
import { detectionSummary } from '../../report/detection-summary.js';
import type { Scenario } from '../../scenario/schema.js';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, outputOption } from '../options.js';
import { isData, printData } from '../output.js';
import { scenarioTarget } from '../scenario-target.js';

const PLAN_OPTIONS = {
  ...KUBE_OPTIONS,
  output: outputOption(['text', 'json', 'yaml']),
  offline: { type: 'boolean', default: false, describe: 'Do not read the cluster' },
  history: {
    type: 'string',
    default: 'drill-reports/history',
    describe: 'Where earlier runs are recorded: their open action items are listed, carried over into this drill',
  },
  'history-endpoint': { type: 'string', describe: 'S3 endpoint of an s3:// history' },
} as const satisfies Record<string, Options>;

/** What run and resume share: the cluster, the allow-list, and how the evidence is printed. */
const RUN_OPTIONS = {
  ...KUBE_OPTIONS,
  'allow-context': {
    type: 'string',
    array: true,
    describe: 'Allow destructive steps in this context (also KDRILL_ALLOW_CONTEXTS, .kdrill.yaml)',
  },
  output: outputOption(['text', 'json', 'yaml'], 'json or yaml: print only the evidence (result.json)'),
} as const satisfies Record<string, Options>;

const RUN_ONLY_OPTIONS = {
  lab: { type: 'boolean', default: false, describe: 'Run in an ephemeral lab (no cluster needed)' },
  'keep-lab': { type: 'boolean', default: false, describe: 'With --lab: leave the lab running afterwards' },
  out: { type: 'string', describe: 'Report directory (default ./drill-reports/<scenario>-<UTC time>/)' },
  history: {
    type: 'string',
    describe:
      'Append the run to this history: a directory or s3://bucket/prefix (default: history/ beside the report dir; --no-history: none)',
    // --no-history arrives as false
    coerce: (v: string | boolean): string | false => (v === false ? false : String(v)),
  },
  'history-endpoint': {
    type: 'string',
    describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
  },
  'metrics-file': {
    type: 'string',
    describe:
      "Write the run's Prometheus metrics here (node_exporter textfile collector: a .prom file in its directory)",
  },
  pushgateway: { type: 'string', describe: 'Push the same metrics to this Prometheus Pushgateway URL' },
  keep: {
    type: 'boolean',
    default: false,
    describe: 'A restore test keeps its sandbox for inspection (until its expiry; then `kdrill gc` removes it)',
  },
  'action-owner': {
    type: 'string',
    describe: "Who owns the run's action items (default: the scenario's drill.leader)",
  },
} as const satisfies Record<string, Options>;

const RUN_EXAMPLES: [string, string][] = [
  ['$0 run scenarios/namespace-loss.yaml --lab', 'a full drill in the lab'],
  [
    '$0 run drill.yaml --history s3://drill-history/kdrill --metrics-file /var/lib/node_exporter/kdrill.prom',
    'remember the run in S3 and expose it to Prometheus',
  ],
  ['$0 run drill.yaml --context kind-drill --allow-context kind-drill', 'against kind'],
  ['$0 run scenarios/restore-test.yaml --context prod', 'restore the newest backup into a sandbox beside prod'],
];

const validate = defineCommand({
  command: 'validate <files..>',
  describe: 'Check scenario files: every problem at file:line:col, with a hint',
  builder: (c) =>
    c
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Scenario YAML files' })
      .example('$0 validate scenarios/*.yaml', ''),
  run: async (a) => {
    const { loadScenario, formatProblems } = await import('../../scenario/load.js');
    let bad = 0;
    for (const f of a.files) {
      const r = await loadScenario(f);
      if (r.ok) process.stdout.write(`${f}: ok (${r.scenario.metadata.name})\n`);
      else {
        bad++;
        process.stderr.write(`${formatProblems(r.problems)}\n`);
      }
    }
    return bad ? 2 : undefined;
  },
});

const plan = defineCommand({
  command: 'plan <scenario>',
  describe:
    'Show everything a drill would do, touching nothing (reads the cluster, if reachable, for the blast radius)',
  builder: (c: Argv) => c.positional('scenario', { type: 'string', demandOption: true }).options(PLAN_OPTIONS),
  run: async (a) => {
    const { requireScenario } = await import('../../scenario/load.js');
    const { buildPlan, renderPlan } = await import('../../drill/plan.js');
    const s = await requireScenario(a.scenario);
    const p = buildPlan(s);
    if (!a.offline) p.blastRadius = await blastRadiusOrNote(s, a);
    const { openForPlan } = await import('../../actions/plan.js');
    const open = await openForPlan({ history: a.history, historyEndpoint: a.historyEndpoint }, s.metadata.name);
    p.carriedOver = open.items;
    const { planCarriedOver } = await import('../../actions/render.js');
    if (isData(a.output)) await printData(a.output, p);
    else process.stdout.write(`${renderPlan(p)}${planCarriedOver(open.items, new Date(), open.note)}`);
  },
});

/** The blast radius from the cluster, or a note saying why it is unknown. */
async function blastRadiusOrNote(s: Scenario, a: { kubeconfig?: string; context?: string }) {
  const { blastRadius } = await import('../../drill/plan.js');
  try {
    const { connectKube } = await import('../../kube/client-node.js');
    return await blastRadius(connectKube({ kubeconfig: a.kubeconfig, context: a.context ?? s.spec.target.context }), s);
  } catch (e) {
    return {
      context: a.context ?? '',
      namespaces: [],
      nodes: [],
      pvcs: 0,
      note: `the cluster could not be read (${(e as Error).message.split('\n')[0]}): blast radius unknown`,
    };
  }
}

const run = defineCommand({
  command: 'run <scenario>',
  describe: 'Run a drill: preflight, baseline, inject, restore (NetworkPolicies first), verify, RTO/RPO, retrospective',
  builder: (c: Argv) =>
    c
      .positional('scenario', { type: 'string', demandOption: true })
      .options(RUN_OPTIONS)
      .options(RUN_ONLY_OPTIONS)
      .example(RUN_EXAMPLES),
  run: async (a) => {
    const { checkPublishOptions } = await import('../../history/check.js');
    const publish = checkPublishOptions({
      history: a.history,
      historyEndpoint: a.historyEndpoint,
      metricsFile: a.metricsFile,
      pushgateway: a.pushgateway,
    });
    const { runScenario } = await import('../../drill/service.js');
    const { labLauncher } = await import('../lab-launcher.js');
    const r = await withReporter(a.output, (reporter) =>
      runScenario({
        ...scenarioTarget(a.scenario, a),
        keep: a.keep,
        reporter,
        publish,
        labLauncher,
        actionOwner: a.actionOwner,
      }),
    );
    return finish(r, a.output);
  },
});

const resume = defineCommand({
  command: 'resume <dir>',
  describe:
    'Finish an interrupted drill, or one whose recovery did not finish (exit 5), from its journal: a Restore already created is waited on, not created again; a verified recovery is never repeated',
  builder: (c: Argv) =>
    c
      .positional('dir', { type: 'string', demandOption: true })
      .options(RUN_OPTIONS)
      .options({
        force: {
          type: 'boolean',
          default: false,
          describe:
            "Resume although the journal's hash chain is broken (it was edited): only when you know what changed",
        },
      }),
  run: async (a) => {
    const { resumeRun } = await import('../../drill/service.js');
    const { labLauncher } = await import('../lab-launcher.js');
    const r = await withReporter(a.output, (reporter) =>
      resumeRun(a.dir, { allowContexts: a.allowContext ?? [], reporter, labLauncher, force: a.force }),
    );
    return finish(r, a.output);
  },
});

/** validate, plan, run and resume: the drill itself. */
export function registerDrill(y: Argv, ctx: CliContext): void {
  y.command(toModule(validate, ctx))
    .command(toModule(plan, ctx))
    .command(toModule(run, ctx))
    .command(toModule(resume, ctx));
}

async function withReporter<T>(output: string, fn: (r: Reporter) => Promise<T>): Promise<T> {
  const { plainReporter, silentReporter, listrReporter } = await import('../progress.js');
  if (isData(output)) return fn(silentReporter);
  if (!process.stderr.isTTY) return fn(plainReporter());
  const l = await listrReporter([
    'preflight',
    'baseline',
    'backup',
    'sandbox',
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

async function finish(r: { exitCode: number; result?: DrillResult; dir: string }, output: string): Promise<number> {
  if (!r.result) return r.exitCode;
  if (isData(output)) {
    await printData(output, r.result);
    return r.exitCode;
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
  return r.exitCode;
}
