import type { Argv } from 'yargs';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, outputOption } from '../options.js';
import { isData, printData } from '../output.js';

/** `kdrill gc`: remove the restore-test sandboxes a crashed (or --keep) run left, once they expired. */
const gc = defineCommand({
  command: 'gc',
  describe:
    'Remove expired restore-test sandboxes (namespaces labelled kdrill.dev/sandbox, past their kdrill.dev/expires) and their resource-modifier ConfigMaps',
  builder: (c: Argv) =>
    c
      .options({
        ...KUBE_OPTIONS,
        'dry-run': { type: 'boolean', default: false, describe: 'Say what would go, remove nothing' },
        'velero-namespace': { type: 'string', default: 'velero' },
        scenario: {
          type: 'string',
          describe:
            "Only this scenario's sandboxes (label kdrill.dev/scenario): what a scheduled restore test runs first",
        },
        output: outputOption(['text', 'json', 'yaml']),
      })
      .example('$0 gc --context prod --dry-run', 'what a crashed restore test left, and when it expires')
      .example('$0 gc --scenario restore-test', "only that scenario's expired sandboxes"),
  run: async (a) => {
    const { connectKube } = await import('../../kube/client-node.js');
    const { collectSandboxes, renderGc } = await import('../../restore-test/gc.js');
    const r = await collectSandboxes(connectKube({ kubeconfig: a.kubeconfig, context: a.context }), {
      now: new Date(),
      dryRun: a.dryRun,
      veleroNamespace: a.veleroNamespace,
      scenario: a.scenario,
    });
    if (isData(a.output)) await printData(a.output, r);
    else process.stdout.write(renderGc(r));
  },
});

export function registerGc(y: Argv, ctx: CliContext): void {
  y.command(toModule(gc, ctx));
}
