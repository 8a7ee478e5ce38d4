import type { Argv } from 'yargs';
import type { LabArgsLike } from '../../../packages/lab/src/options.js';
import { DEFAULT_LAB_DIR } from '../lab-dir.js';
import { selfArgv } from '../self-argv.js';

interface LabArgs extends LabArgsLike {
  output?: string;
}

const serveOptions = <T>(c: Argv<T>) =>
  c
    .option('port', { type: 'number', describe: 'Port of the API server on 127.0.0.1 (default: a free one)' })
    .option('hardened', { type: 'boolean', default: false, describe: 'Refuse workloads that no NetworkPolicy selects, as hardened clusters do' })
    .option('zones', { type: 'string', default: 'zone-a,zone-b,zone-c', describe: 'Zones of the lab nodes (label topology.kubernetes.io/zone)' })
    .option('nodes-per-zone', { type: 'number', default: 2, describe: 'Nodes in each zone' })
    .option('start-delay', { type: 'number', default: 300, describe: 'Milliseconds from a pod being scheduled to Running and Ready' })
    .option('app', { type: 'string', array: true, describe: 'Your own manifests (file or dir) to seed, instead of Thanos (add --thanos to keep it too)' })
    .option('thanos', { type: 'boolean', default: false, describe: 'With --app: seed the Thanos example as well' })
    .option('seed', { type: 'boolean', default: true, describe: 'Seed the app, its NetworkPolicies, the nightly Schedule and two backups (--no-seed: a bare cluster)' })
    .option('object-lock', { type: 'boolean', default: true, describe: 'Create the bucket with S3 Object Lock (--no-object-lock: without, for audit tests)' })
    .option('s3-endpoint', { type: 'string', describe: 'Use this S3 (e.g. Ceph RGW) instead of the embedded one' })
    .option('s3-credentials-file', { type: 'string', describe: 'AWS credentials file for --s3-endpoint (default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)' })
    .option('bucket', { type: 'string', describe: 'Bucket name (default kdrill-lab-backups)' })
    .option('k8s', { choices: ['lab', 'real'] as const, default: 'lab' as const, describe: "Kubernetes: the lab's own API server, or a real one (scripts/kapi-start.sh)" })
    .option('real-kubeconfig', { type: 'string', array: true, describe: 'With --k8s real: its kubeconfig (default ~/.cache/kapi/run/kubeconfig); give it twice with --clusters 2 to make the recovery cluster real too' })
    .option('clusters', { type: 'number', default: 1, choices: [1, 2], describe: '2 adds a recovery cluster (context kdrill-lab-2) reading the same bucket' });

function passThrough(a: LabArgs): string[] {
  const out = ['--zones', a.zones, '--nodes-per-zone', String(a.nodesPerZone), '--start-delay', String(a.startDelay), '--k8s', a.k8s, '--clusters', String(a.clusters)];
  for (const app of a.app ?? []) out.push('--app', app);
  if (a.thanos) out.push('--thanos');
  if (!a.seed) out.push('--no-seed');
  if (!a.objectLock) out.push('--no-object-lock');
  if (a.s3Endpoint) out.push('--s3-endpoint', a.s3Endpoint);
  if (a.s3CredentialsFile) out.push('--s3-credentials-file', a.s3CredentialsFile);
  if (a.bucket) out.push('--bucket', a.bucket);
  for (const kc of a.realKubeconfig ?? []) out.push('--real-kubeconfig', kc);
  return out;
}

/** `kdrill lab up|down|status`: the embedded lab, a flight simulator for drills. */
export function registerLab(y: Argv, setExit: (code: number) => void): void {
  y.command('lab', 'Run the embedded lab: Kubernetes API, nodes across zones, S3 with Object Lock, Velero, Thanos and backups (no Docker)', (lab) =>
    lab
      .option('dir', { type: 'string', default: DEFAULT_LAB_DIR, describe: 'Where the lab keeps its kubeconfig, S3 data, state and log' })
      .command(
        'up',
        'Start the lab in the background; returns when it is seeded and answers',
        (c) =>
          serveOptions(c)
            .example('$0 lab up', 'a lab with Thanos and two nightly backups; then: kubectl --kubeconfig .kdrill/lab/kubeconfig get pods -n thanos')
            .example('$0 lab up --hardened --clusters 2', 'a hardened lab plus a recovery cluster for datacenter-loss drills')
            .example('$0 lab up --s3-endpoint http://127.0.0.1:7480 --s3-credentials-file rgw.ini', 'backups in a real Ceph RGW'),
        async (a) => {
          const args = a as unknown as LabArgs;
          const { validateLabArgs } = await import('../../../packages/lab/src/options.js');
          await validateLabArgs(args);
          const { labUp } = await import('../../../packages/lab/src/control.js');
          const s = await labUp({ dir: args.dir, port: args.port, hardened: args.hardened, self: selfArgv(), extraArgs: passThrough(args) });
          process.stdout.write(`lab up (pid ${s.pid}): contexts ${s.contexts.join(', ')}; S3 ${s.s3?.endpoint} bucket ${s.s3?.bucket}\n`);
          if (s.backups?.length) process.stdout.write(`  backups: ${s.backups.join(', ')}\n`);
          for (const w of s.warnings ?? []) process.stdout.write(`  warning: ${w}\n`);
          process.stdout.write(`  kubectl --kubeconfig ${s.kubeconfig} get pods -n thanos\n`);
        },
      )
      .command(
        'down',
        'Stop the lab started by `lab up` (its S3 data stays in --dir)',
        () => undefined,
        async (a) => {
          const { labDown } = await import('../../../packages/lab/src/control.js');
          const s = await labDown((a as unknown as LabArgs).dir);
          process.stdout.write(s ? `lab down: stopped pid ${s.pid}\n` : 'lab down: no lab was running\n');
        },
      )
      .command(
        'status',
        'Show whether the lab runs: contexts, S3 endpoint and bucket, file paths (never a secret)',
        (c) => c.option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'Output format' }),
        async (a) => {
          const { labStatus } = await import('../../../packages/lab/src/control.js');
          const args = a as unknown as LabArgs;
          const s = await labStatus(args.dir);
          if (args.output === 'json') process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          else if (!s.running) process.stdout.write(`no lab running in ${s.dir}\n  hint: kdrill lab up\n`);
          else {
            process.stdout.write(`lab running (pid ${s.pid}) since ${s.startedAt}\n  API server: ${s.apiServer}\n  kubeconfig: ${s.kubeconfig}\n  contexts:   ${s.contexts.join(', ')}\n`);
            if (s.s3) process.stdout.write(`  S3:         ${s.s3.endpoint} bucket ${s.s3.bucket}${s.s3.objectLock ? ' (Object Lock)' : ''}\n  S3 credentials file: ${s.s3.credentialsFile}\n`);
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
      .demandCommand(1, 'Name a lab command: up, down or status.'),
  );
}
