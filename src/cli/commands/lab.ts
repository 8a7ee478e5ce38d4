import type { Argv, Options } from 'yargs';
import type { LabArgsLike } from '../../../packages/lab/src/options.js';
import type { LabState } from '../../../packages/lab/src/state.js';
import { oneOf } from '../coerce.js';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { DEFAULT_LAB_DIR } from '../lab-dir.js';
import { outputOption } from '../options.js';
import { isData, printData } from '../output.js';
import { selfArgv } from '../self-argv.js';

interface LabDir {
  dir: string;
}

const LAB_DIR_OPTION = {
  dir: {
    type: 'string',
    default: DEFAULT_LAB_DIR,
    describe: 'Where the lab keeps its kubeconfig, S3 data, state and log',
  },
} as const satisfies Record<string, Options>;

/** The lab's shape: `lab up` checks them and hands them on to `lab serve`, the lab's own process. */
const SERVE_OPTIONS = {
  port: { type: 'number', describe: 'Port of the API server on 127.0.0.1 (default: a free one)' },
  hardened: {
    type: 'string',
    describe:
      "Admission as a hardened cluster's: a workload no NetworkPolicy selects is refused (deny, the default of a bare --hardened) or admitted with a warning (warn, Gatekeeper's warn action)",
    coerce: (v: string) => oneOf('hardened', ['deny', 'warn'], 'a bare --hardened means deny')(v === '' ? 'deny' : v),
  },
  zones: {
    type: 'string',
    default: 'zone-a,zone-b,zone-c',
    describe: 'Zones of the lab nodes (label topology.kubernetes.io/zone)',
  },
  'nodes-per-zone': { type: 'number', default: 2, describe: 'Nodes in each zone' },
  'start-delay': {
    type: 'number',
    default: 300,
    describe: 'Milliseconds from a pod being scheduled to Running and Ready',
  },
  app: {
    type: 'string',
    array: true,
    describe:
      'Your own manifests (file or dir, repeatable) to load instead of Thanos, as kubectl apply would: each object in its own namespace, CRDs first (add --thanos to keep Thanos too)',
  },
  'app-namespace': {
    type: 'string',
    describe: 'With --app: where objects without a namespace go, as kubectl apply -n (default: default)',
  },
  'backup-namespaces': {
    type: 'string',
    array: true,
    describe: "What the lab's nightly Schedule backs up (default: the app's namespaces)",
  },
  'velero-version': {
    type: 'string',
    choices: ['1.14', '1.18'],
    default: '1.14',
    describe: 'The Velero version the lab Velero behaves as (its CRDs, restore order and messages)',
  },
  thanos: { type: 'boolean', default: false, describe: 'With --app: seed the Thanos example as well' },
  seed: {
    type: 'boolean',
    default: true,
    describe: 'Seed the app, its NetworkPolicies, the nightly Schedule and two backups (--no-seed: a bare cluster)',
  },
  'object-lock': {
    type: 'boolean',
    default: true,
    describe: 'Create the bucket with S3 Object Lock (--no-object-lock: without, for audit tests)',
  },
  's3-endpoint': { type: 'string', describe: 'Use this S3 (e.g. Ceph RGW) instead of the embedded one' },
  's3-credentials-file': {
    type: 'string',
    describe: 'AWS credentials file for --s3-endpoint (default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
  },
  bucket: { type: 'string', describe: 'Bucket name (default kdrill-lab-backups)' },
  k8s: {
    choices: ['lab', 'real'],
    default: 'lab',
    describe: "Kubernetes: the lab's own API server, or a real one (scripts/kapi-start.sh)",
  },
  'real-kubeconfig': {
    type: 'string',
    array: true,
    describe:
      'With --k8s real: its kubeconfig (default ~/.cache/kapi/run/kubeconfig); give it twice with --clusters 2 to make the recovery cluster real too',
  },
  clusters: {
    type: 'number',
    default: 1,
    choices: [1, 2],
    describe: '2 adds a recovery cluster (context kdrill-lab-2) reading the same bucket',
  },
  monitoring: {
    type: 'boolean',
    default: false,
    describe:
      "Start Debian's Prometheus and Alertmanager (apt-get install prometheus prometheus-alertmanager) on free ports: kube-state-metrics series of the lab, its alerts, a webhook to kdrill's receiver",
  },
} as const satisfies Record<string, Options>;

const UP_EXAMPLES: [string, string][] = [
  [
    '$0 lab up',
    'a lab with Thanos and two nightly backups; then: kubectl --kubeconfig .kdrill/lab/kubeconfig get pods -n thanos',
  ],
  ['$0 lab up --hardened --clusters 2', 'a hardened lab plus a recovery cluster for datacenter-loss drills'],
  ['$0 lab up --s3-endpoint http://127.0.0.1:7480 --s3-credentials-file rgw.ini', 'backups in a real Ceph RGW'],
];

/** The flags `lab serve` needs to build the same lab: every option of SERVE_OPTIONS but the port and admission. */
function passThrough(a: LabArgsLike): string[] {
  const out = ['--zones', a.zones, '--nodes-per-zone', String(a.nodesPerZone), '--start-delay', String(a.startDelay)];
  out.push('--k8s', a.k8s, '--clusters', String(a.clusters), '--velero-version', a.veleroVersion ?? '1.14');
  for (const app of a.app ?? []) out.push('--app', app);
  if (a.appNamespace) out.push('--app-namespace', a.appNamespace);
  for (const ns of a.backupNamespaces ?? []) out.push('--backup-namespaces', ns);
  if (a.thanos) out.push('--thanos');
  if (!a.seed) out.push('--no-seed');
  if (!a.objectLock) out.push('--no-object-lock');
  if (a.s3Endpoint) out.push('--s3-endpoint', a.s3Endpoint);
  if (a.s3CredentialsFile) out.push('--s3-credentials-file', a.s3CredentialsFile);
  if (a.bucket) out.push('--bucket', a.bucket);
  for (const kc of a.realKubeconfig ?? []) out.push('--real-kubeconfig', kc);
  if (a.monitoring) out.push('--monitoring');
  return out;
}

type AppReport = NonNullable<LabState['app']>;

const monitoringLine = (m: NonNullable<LabState['monitoring']>): string =>
  `monitoring: Prometheus ${m.prometheus}, Alertmanager ${m.alertmanager} (webhook to ${m.receiver})`;

/** What `lab up --app` applied and skipped, per kind (the lab's summarize(), restated here so --help never loads the lab). */
function appSummary(a: AppReport): string[] {
  const lines = Object.entries(a.applied)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([k, n]) => `applied ${n} ${k}`);
  for (const s of a.skipped) lines.push(`skipped ${s.count} ${s.kind}: ${s.reason}`);
  for (const x of a.refused) lines.push(`refused ${x.object}: ${x.reason}`);
  for (const x of a.warnings) lines.push(`warning for ${x.object}: ${x.warning}`);
  return lines;
}

const up = defineCommand({
  command: 'up',
  describe: 'Start the lab in the background; returns when it is seeded and answers',
  builder: (c: Argv<LabDir>) => c.options(SERVE_OPTIONS).example(UP_EXAMPLES),
  run: async (a) => {
    const { validateLabArgs } = await import('../../../packages/lab/src/options.js');
    await validateLabArgs(a);
    const { labUp } = await import('../../../packages/lab/src/control.js');
    const s = await labUp({
      dir: a.dir,
      port: a.port,
      hardened: a.hardened,
      self: selfArgv(),
      extraArgs: passThrough(a),
    });
    const out: string[] = [
      `lab up (pid ${s.pid}): contexts ${s.contexts.join(', ')}; S3 ${s.s3?.endpoint} bucket ${s.s3?.bucket}`,
    ];
    if (s.backups?.length) out.push(`  backups: ${s.backups.join(', ')}`);
    if (s.monitoring) out.push(`  ${monitoringLine(s.monitoring)}`);
    if (s.app) out.push(...appSummary(s.app).map((l) => `  ${l}`));
    for (const w of (s.warnings ?? []).filter((x) => !/^(refused|skipped) /.test(x))) out.push(`  warning: ${w}`);
    out.push(`  kubectl --kubeconfig ${s.kubeconfig} get pods -n ${s.app?.backupNamespaces[0] ?? 'thanos'}`);
    process.stdout.write(`${out.join('\n')}\n`);
  },
});

const down = defineCommand({
  command: 'down',
  describe: 'Stop the lab started by `lab up` and remove what it left on real clusters (its S3 data stays in --dir)',
  builder: (c: Argv<LabDir>) => c,
  run: async (a) => {
    const { labDown } = await import('../../../packages/lab/src/control.js');
    const d = await labDown(a.dir);
    if (!d.state) process.stdout.write('lab down: no lab was running\n');
    else
      process.stdout.write(
        d.wasRunning
          ? `lab down: stopped pid ${d.state.pid}\n`
          : `lab down: its process (pid ${d.state.pid}) was already gone\n`,
      );
    for (const r of d.removed)
      process.stdout.write(
        r.heldBy
          ? `  left ${r.kubeconfig} alone: another lab holds it (${r.heldBy})\n`
          : `  removed from ${r.kubeconfig}: ${r.objects.length ? r.objects.join(', ') : 'nothing was left'}\n`,
      );
  },
});

const gc = defineCommand({
  command: 'gc',
  describe:
    'Remove everything a lab left on a cluster (its webhook, labelled objects, nodes, Lease), even when its process and dir are gone',
  builder: (c: Argv<LabDir>) =>
    c
      .options({
        kubeconfig: { type: 'string', describe: 'The cluster to clean (default: $KUBECONFIG, then ~/.kube/config)' },
        context: { type: 'string', describe: 'Its context (default: the current one)' },
      })
      .example('$0 lab gc --kubeconfig ~/.cache/kapi/run/kubeconfig', 'after a lab on a real apiserver was killed'),
  run: async (a) => {
    const { connectKube } = await import('../../kube/client-node.js');
    const { labGc } = await import('../../../packages/lab/src/gc.js');
    const kube = connectKube({ kubeconfig: a.kubeconfig, context: a.context });
    const removed = await labGc(kube);
    process.stdout.write(
      removed.length
        ? `lab gc: removed from context ${kube.context}:\n${removed.map((r) => `  ${r}\n`).join('')}`
        : `lab gc: context ${kube.context} holds nothing of a kdrill lab\n`,
    );
  },
});

const status = defineCommand({
  command: 'status',
  describe: 'Show whether the lab runs: contexts, S3 endpoint and bucket, file paths (never a secret)',
  builder: (c: Argv<LabDir>) => c.options({ output: outputOption(['text', 'json', 'yaml']) }),
  run: async (a) => {
    const { labStatus } = await import('../../../packages/lab/src/control.js');
    const s = await labStatus(a.dir);
    if (isData(a.output)) await printData(a.output, s);
    else if (!s.running) process.stdout.write(`no lab running in ${s.dir}\n  hint: kdrill lab up\n`);
    else process.stdout.write(statusText(s));
    return s.running ? undefined : 4;
  },
});

function statusText(s: LabState): string {
  const out = [
    `lab running (pid ${s.pid}) since ${s.startedAt}`,
    `  API server: ${s.apiServer}`,
    `  kubeconfig: ${s.kubeconfig}`,
    `  contexts:   ${s.contexts.join(', ')}`,
  ];
  if (s.s3)
    out.push(
      `  S3:         ${s.s3.endpoint} bucket ${s.s3.bucket}${s.s3.objectLock ? ' (Object Lock)' : ''}`,
      `  S3 credentials file: ${s.s3.credentialsFile}`,
    );
  if (s.app)
    out.push(
      `  backups of: ${s.app.backupNamespaces.join(', ')} (Schedule velero/nightly): ${(s.backups ?? []).join(', ')}`,
      ...appSummary(s.app).map((l) => `  ${l}`),
    );
  if (s.monitoring) out.push(`  ${monitoringLine(s.monitoring)}`);
  out.push(`  log:        ${s.log}`);
  return `${out.join('\n')}\n`;
}

const serve = defineCommand({
  command: 'serve',
  describe: false, // the background half of `lab up`
  builder: (c: Argv<LabDir>) => c.options(SERVE_OPTIONS),
  run: async (a) => {
    const { labOptionsFromArgs } = await import('../../../packages/lab/src/options.js');
    const { serveLab } = await import('../../../packages/lab/src/daemon.js');
    return serveLab({ ...(await labOptionsFromArgs(a)), logFile: `${a.dir}/lab.log` });
  },
});

/** `kdrill lab up|down|status|gc`: the embedded lab, a flight simulator for drills. */
export function registerLab(y: Argv, ctx: CliContext): void {
  y.command(
    'lab',
    'Run the embedded lab: Kubernetes API, nodes across zones, S3 with Object Lock, Velero, Thanos and backups (no Docker)',
    (lab) =>
      lab
        .options(LAB_DIR_OPTION)
        .command(toModule(up, ctx))
        .command(toModule(down, ctx))
        .command(toModule(gc, ctx))
        .command(toModule(status, ctx))
        .command(toModule(serve, ctx))
        .demandCommand(1, 'Name a lab command: up, down, status or gc.'),
  );
}
