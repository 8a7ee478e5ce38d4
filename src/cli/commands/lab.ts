import type { Argv } from 'yargs';
import type { LabArgsLike } from '../../../packages/lab/src/options.js';
import type { LabState } from '../../../packages/lab/src/state.js';
import { usageError } from '../../errors.js';
import { DEFAULT_LAB_DIR } from '../lab-dir.js';
import { selfArgv } from '../self-argv.js';

interface LabArgs extends LabArgsLike {
  output?: string;
}

const serveOptions = <T>(c: Argv<T>) =>
  c
    .option('port', { type: 'number', describe: 'Port of the API server on 127.0.0.1 (default: a free one)' })
    .option('hardened', {
      type: 'string',
      describe:
        "Admission as a hardened cluster's: a workload no NetworkPolicy selects is refused (deny, the default of a bare --hardened) or admitted with a warning (warn, Gatekeeper's warn action)",
      coerce: (v: string | undefined) => (v === undefined ? undefined : v === '' ? 'deny' : v),
    })
    .option('zones', {
      type: 'string',
      default: 'zone-a,zone-b,zone-c',
      describe: 'Zones of the lab nodes (label topology.kubernetes.io/zone)',
    })
    .option('nodes-per-zone', { type: 'number', default: 2, describe: 'Nodes in each zone' })
    .option('start-delay', {
      type: 'number',
      default: 300,
      describe: 'Milliseconds from a pod being scheduled to Running and Ready',
    })
    .option('app', {
      type: 'string',
      array: true,
      describe:
        'Your own manifests (file or dir, repeatable) to load instead of Thanos, as kubectl apply would: each object in its own namespace, CRDs first (add --thanos to keep Thanos too)',
    })
    .option('app-namespace', {
      type: 'string',
      describe: 'With --app: where objects without a namespace go, as kubectl apply -n (default: default)',
    })
    .option('backup-namespaces', {
      type: 'string',
      array: true,
      describe: "What the lab's nightly Schedule backs up (default: the app's namespaces)",
    })
    .option('velero-version', {
      type: 'string',
      choices: ['1.14', '1.18'] as const,
      default: '1.14' as const,
      describe: 'The Velero version the lab Velero behaves as (its CRDs, restore order and messages)',
    })
    .option('thanos', { type: 'boolean', default: false, describe: 'With --app: seed the Thanos example as well' })
    .option('seed', {
      type: 'boolean',
      default: true,
      describe: 'Seed the app, its NetworkPolicies, the nightly Schedule and two backups (--no-seed: a bare cluster)',
    })
    .option('object-lock', {
      type: 'boolean',
      default: true,
      describe: 'Create the bucket with S3 Object Lock (--no-object-lock: without, for audit tests)',
    })
    .option('s3-endpoint', { type: 'string', describe: 'Use this S3 (e.g. Ceph RGW) instead of the embedded one' })
    .option('s3-credentials-file', {
      type: 'string',
      describe: 'AWS credentials file for --s3-endpoint (default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
    })
    .option('bucket', { type: 'string', describe: 'Bucket name (default kdrill-lab-backups)' })
    .option('k8s', {
      choices: ['lab', 'real'] as const,
      default: 'lab' as const,
      describe: "Kubernetes: the lab's own API server, or a real one (scripts/kapi-start.sh)",
    })
    .option('real-kubeconfig', {
      type: 'string',
      array: true,
      describe:
        'With --k8s real: its kubeconfig (default ~/.cache/kapi/run/kubeconfig); give it twice with --clusters 2 to make the recovery cluster real too',
    })
    .option('clusters', {
      type: 'number',
      default: 1,
      choices: [1, 2],
      describe: '2 adds a recovery cluster (context kdrill-lab-2) reading the same bucket',
    })
    .option('monitoring', {
      type: 'boolean',
      default: false,
      describe:
        "Start Debian's Prometheus and Alertmanager (apt-get install prometheus prometheus-alertmanager) on free ports: kube-state-metrics series of the lab, its alerts, a webhook to kdrill's receiver",
    });

function passThrough(a: LabArgs): string[] {
  const out = [
    '--zones',
    a.zones,
    '--nodes-per-zone',
    String(a.nodesPerZone),
    '--start-delay',
    String(a.startDelay),
    '--k8s',
    a.k8s,
    '--clusters',
    String(a.clusters),
    '--velero-version',
    a.veleroVersion ?? '1.14',
  ];
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

/** `kdrill lab up|down|status`: the embedded lab, a flight simulator for drills. */
export function registerLab(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'lab',
    'Run the embedded lab: Kubernetes API, nodes across zones, S3 with Object Lock, Velero, Thanos and backups (no Docker)',
    (lab) =>
      lab
        .option('dir', {
          type: 'string',
          default: DEFAULT_LAB_DIR,
          describe: 'Where the lab keeps its kubeconfig, S3 data, state and log',
        })
        .command(
          'up',
          'Start the lab in the background; returns when it is seeded and answers',
          (c) =>
            serveOptions(c)
              .example(
                '$0 lab up',
                'a lab with Thanos and two nightly backups; then: kubectl --kubeconfig .kdrill/lab/kubeconfig get pods -n thanos',
              )
              .example(
                '$0 lab up --hardened --clusters 2',
                'a hardened lab plus a recovery cluster for datacenter-loss drills',
              )
              .example(
                '$0 lab up --s3-endpoint http://127.0.0.1:7480 --s3-credentials-file rgw.ini',
                'backups in a real Ceph RGW',
              ),
          async (a) => {
            const args = a as unknown as LabArgs;
            if (args.hardened !== undefined && !['deny', 'warn'].includes(args.hardened))
              throw usageError(`--hardened ${String(args.hardened)}: say deny or warn`, 'a bare --hardened means deny');
            const { validateLabArgs } = await import('../../../packages/lab/src/options.js');
            await validateLabArgs(args);
            const { labUp } = await import('../../../packages/lab/src/control.js');
            const s = await labUp({
              dir: args.dir,
              port: args.port,
              hardened: args.hardened,
              self: selfArgv(),
              extraArgs: passThrough(args),
            });
            process.stdout.write(
              `lab up (pid ${s.pid}): contexts ${s.contexts.join(', ')}; S3 ${s.s3?.endpoint} bucket ${s.s3?.bucket}\n`,
            );
            if (s.backups?.length) process.stdout.write(`  backups: ${s.backups.join(', ')}\n`);
            if (s.monitoring) process.stdout.write(`  ${monitoringLine(s.monitoring)}\n`);
            if (s.app) for (const line of appSummary(s.app)) process.stdout.write(`  ${line}\n`);
            for (const w of (s.warnings ?? []).filter((x) => !/^(refused|skipped) /.test(x)))
              process.stdout.write(`  warning: ${w}\n`);
            process.stdout.write(
              `  kubectl --kubeconfig ${s.kubeconfig} get pods -n ${s.app?.backupNamespaces[0] ?? 'thanos'}\n`,
            );
          },
        )
        .command(
          'down',
          'Stop the lab started by `lab up` and remove what it left on real clusters (its S3 data stays in --dir)',
          () => undefined,
          async (a) => {
            const { labDown } = await import('../../../packages/lab/src/control.js');
            const d = await labDown((a as unknown as LabArgs).dir);
            if (!d.state) process.stdout.write('lab down: no lab was running\n');
            else
              process.stdout.write(
                d.wasRunning
                  ? `lab down: stopped pid ${d.state.pid}\n`
                  : `lab down: its process (pid ${d.state.pid}) was already gone\n`,
              );
            for (const r of d.removed)
              process.stdout.write(
                `  removed from ${r.kubeconfig}: ${r.objects.length ? r.objects.join(', ') : 'nothing was left'}\n`,
              );
          },
        )
        .command(
          'gc',
          'Remove everything a lab left on a cluster (its webhook, labelled objects, nodes, Lease), even when its process and dir are gone',
          (c) =>
            c
              .option('kubeconfig', {
                type: 'string',
                describe: 'The cluster to clean (default: $KUBECONFIG, then ~/.kube/config)',
              })
              .option('context', { type: 'string', describe: 'Its context (default: the current one)' })
              .example(
                '$0 lab gc --kubeconfig ~/.cache/kapi/run/kubeconfig',
                'after a lab on a real apiserver was killed',
              ),
          async (a) => {
            const args = a as unknown as { kubeconfig?: string; context?: string };
            const { connectKube } = await import('../../kube/client-node.js');
            const { labGc } = await import('../../../packages/lab/src/gc.js');
            const kube = connectKube({ kubeconfig: args.kubeconfig, context: args.context });
            const removed = await labGc(kube);
            process.stdout.write(
              removed.length
                ? `lab gc: removed from context ${kube.context}:\n${removed.map((r) => `  ${r}\n`).join('')}`
                : `lab gc: context ${kube.context} holds nothing of a kdrill lab\n`,
            );
          },
        )
        .command(
          'status',
          'Show whether the lab runs: contexts, S3 endpoint and bucket, file paths (never a secret)',
          (c) =>
            c.option('output', {
              alias: 'o',
              choices: ['text', 'json'] as const,
              default: 'text',
              describe: 'Output format',
            }),
          async (a) => {
            const { labStatus } = await import('../../../packages/lab/src/control.js');
            const args = a as unknown as LabArgs;
            const s = await labStatus(args.dir);
            if (args.output === 'json') process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
            else if (!s.running) process.stdout.write(`no lab running in ${s.dir}\n  hint: kdrill lab up\n`);
            else {
              process.stdout.write(
                `lab running (pid ${s.pid}) since ${s.startedAt}\n  API server: ${s.apiServer}\n  kubeconfig: ${s.kubeconfig}\n  contexts:   ${s.contexts.join(', ')}\n`,
              );
              if (s.s3)
                process.stdout.write(
                  `  S3:         ${s.s3.endpoint} bucket ${s.s3.bucket}${s.s3.objectLock ? ' (Object Lock)' : ''}\n  S3 credentials file: ${s.s3.credentialsFile}\n`,
                );
              if (s.app)
                process.stdout.write(
                  `  backups of: ${s.app.backupNamespaces.join(', ')} (Schedule velero/nightly): ${(s.backups ?? []).join(', ')}\n${appSummary(
                    s.app,
                  )
                    .map((l) => `  ${l}\n`)
                    .join('')}`,
                );
              if (s.monitoring) process.stdout.write(`  ${monitoringLine(s.monitoring)}\n`);
              process.stdout.write(`  log:        ${s.log}\n`);
            }
            if (!s.running) setExit(4);
          },
        )
        .command({
          command: 'serve',
          describe: false, // the background half of `lab up`
          builder: (c) => serveOptions(c),
          handler: async (a) => {
            const args = a as unknown as LabArgs;
            const { labOptionsFromArgs } = await import('../../../packages/lab/src/options.js');
            const { serveLab } = await import('../../../packages/lab/src/daemon.js');
            setExit(await serveLab({ ...(await labOptionsFromArgs(args)), logFile: `${args.dir}/lab.log` }));
          },
        })
        .demandCommand(1, 'Name a lab command: up, down, status or gc.'),
  );
}
