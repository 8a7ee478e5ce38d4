import type { Argv } from 'yargs';
import { DEFAULT_LAB_DIR } from '../../lab/state.js';

interface LabArgs {
  dir: string;
  port?: number;
  hardened?: boolean;
  output?: string;
  zones: string;
  nodesPerZone: number;
  startDelay: number;
}

const layoutOptions = <T>(c: Argv<T>) =>
  c
    .option('zones', { type: 'string', default: 'zone-a,zone-b,zone-c', describe: 'Zones of the lab nodes (label topology.kubernetes.io/zone)' })
    .option('nodes-per-zone', { type: 'number', default: 2, describe: 'Nodes in each zone' })
    .option('start-delay', { type: 'number', default: 300, describe: 'Milliseconds from a pod being scheduled to Running and Ready' });

function layoutArgs(a: LabArgs): string[] {
  return ['--zones', a.zones, '--nodes-per-zone', String(a.nodesPerZone), '--start-delay', String(a.startDelay)];
}

/** `kdrill lab up|down|status`: the embedded lab, a flight simulator for drills. */
export function registerLab(y: Argv, setExit: (code: number) => void): void {
  y.command('lab', 'Run the embedded lab: a local Kubernetes API, nodes across zones, and controllers (no Docker needed)', (lab) =>
    lab
      .option('dir', { type: 'string', default: DEFAULT_LAB_DIR, describe: 'Where the lab keeps its kubeconfig, state and log' })
      .command(
        'up',
        'Start the lab in the background; returns when it answers',
        (c) =>
          layoutOptions(c)
            .option('port', { type: 'number', describe: 'Port of the API server on 127.0.0.1 (default: a free one)' })
            .option('hardened', { type: 'boolean', default: false, describe: 'Refuse workloads that no NetworkPolicy selects, as hardened clusters do' })
            .example('$0 lab up', 'start a lab; then: kubectl --kubeconfig .kdrill/lab/kubeconfig get nodes'),
        async (a) => {
          const { labUp } = await import('../../lab/control.js');
          const args = a as unknown as LabArgs;
          const zones = args.zones.split(',').map((z) => z.trim()).filter(Boolean);
          if (zones.length === 0 || !(args.nodesPerZone >= 1)) {
            const { usageError } = await import('../../errors.js');
            throw usageError('the lab needs at least one zone and one node per zone', 'e.g. --zones zone-a,zone-b --nodes-per-zone 2');
          }
          const s = await labUp({ dir: args.dir, port: args.port, hardened: args.hardened, self: selfArgv(), extraArgs: layoutArgs(args) });
          process.stdout.write(`lab up: API ${s.apiServer}, context ${s.contexts.join(', ')} (pid ${s.pid})\n  kubectl --kubeconfig ${s.kubeconfig} get nodes\n`);
        },
      )
      .command(
        'down',
        'Stop the lab started by `lab up`',
        () => undefined,
        async (a) => {
          const { labDown } = await import('../../lab/control.js');
          const s = await labDown((a as unknown as LabArgs).dir);
          process.stdout.write(s ? `lab down: stopped pid ${s.pid}\n` : 'lab down: no lab was running\n');
        },
      )
      .command(
        'status',
        'Show whether the lab runs, its endpoints and file paths',
        (c) => c.option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'Output format' }),
        async (a) => {
          const { labStatus } = await import('../../lab/control.js');
          const args = a as unknown as LabArgs;
          const s = await labStatus(args.dir);
          if (args.output === 'json') process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          else if (!s.running) process.stdout.write(`no lab running in ${s.dir}\n  hint: kdrill lab up\n`);
          else process.stdout.write(`lab running (pid ${s.pid}) since ${s.startedAt}\n  API server: ${s.apiServer}\n  kubeconfig: ${s.kubeconfig}\n  contexts:   ${s.contexts.join(', ')}\n  log:        ${s.log}\n`);
          if (!s.running) setExit(4);
        },
      )
      .command({
        command: 'serve',
        describe: false, // the background half of `lab up`
        builder: (c) => layoutOptions(c).option('port', { type: 'number' }).option('hardened', { type: 'boolean', default: false }),
        handler: async (a) => {
          const { serveLab } = await import('../../lab/daemon.js');
          const args = a as unknown as LabArgs;
          const zones = args.zones.split(',').map((z) => z.trim()).filter(Boolean);
          setExit(
            await serveLab({
              dir: args.dir,
              port: args.port,
              hardened: args.hardened,
              log: `${args.dir}/lab.log`,
              layout: { zones, perZone: args.nodesPerZone },
              startDelayMs: args.startDelay,
            }),
          );
        },
      })
      .demandCommand(1, 'Name a lab command: up, down or status.'),
  );
}

/** How to start this same CLI again: node, its flags (a loader under tsx), and the script. */
function selfArgv(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}
