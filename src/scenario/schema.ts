import { z } from 'zod';
import { expectStatus } from './http-status.js';
import { positiveDuration, timeout } from './duration.js';
import { modeRules, sandboxSchema } from './restore-test.js';
import { availabilityTarget, checkDetect, detectSchema } from './detect-schema.js';

/**
 * The scenario format, kdrill.dev/v1alpha1 (DESIGN §3). This schema is the truth: types, the JSON
 * Schema in scenario.schema.json and the loader's messages all come from it.
 */
const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a lowercase DNS label, e.g. "thanos"');
const argv = z.array(z.string()).min(1, 'give the command as a list: [program, arg, …]');
const selector = z.string().min(1).meta({ description: 'a label selector, e.g. app.kubernetes.io/name=thanos' });

const objectives = z.strictObject({
  rto: positiveDuration('the RTO').meta({ description: 'Recovery Time Objective: from disaster to verified recovery' }),
  rpo: positiveDuration('the RPO').meta({ description: 'Recovery Point Objective: the most data (time) you may lose' }),
  retention: positiveDuration('the retention').meta({
    description: 'Backup retention: how far back you can restore, and how long backups may be kept',
  }),
});

const drill = z.strictObject({
  goals: z
    .array(z.string())
    .min(1)
    .meta({ description: 'What the drill should achieve (the guide: verify backup scope, measure RTO, …)' }),
  leader: z.string().min(1).meta({ description: 'Who leads the recovery' }),
  observers: z.array(z.string()).default([]).meta({ description: 'Who observes and helps out' }),
  discovery: z
    .string()
    .min(1)
    .meta({ description: 'How the team finds out, e.g. "Ticket: the application team lost metrics."' }),
  cause: z.string().min(1).meta({ description: 'What caused the disaster, e.g. "We kill the VMs hosting Thanos."' }),
  environment: z.string().optional().meta({ description: 'The state of the environment before the disaster' }),
});

const target = z.strictObject({
  context: z
    .string()
    .optional()
    .meta({ description: 'Kube context of the test cluster; it must also be allow-listed' }),
  namespaces: z.array(name).min(1),
  hardened: z.boolean().optional().meta({
    description:
      "The cluster refuses (or warns on) workloads no NetworkPolicy selects; adds the network-policy-coverage check. Default: the lab's hardened setting",
  }),
});

const backup = z
  .strictObject({
    storageLocation: z.string().default('default'),
    veleroNamespace: z.string().default('velero'),
    from: z.enum(['latest']).optional().meta({ description: 'latest: the newest Completed backup of `schedule`' }),
    schedule: z.string().optional(),
    name: z.string().optional().meta({ description: 'Restore from this backup' }),
    take: z.boolean().default(false).meta({ description: 'Take a fresh backup of the target before the disaster' }),
    allowPartiallyFailed: z.boolean().default(false),
    timeout: timeout('the backup timeout').prefault('10m'),
    pick: z.enum(['newest', 'random']).optional().meta({
      description:
        "Which of the schedule's Completed backups: newest (the default), or random within `window`, as AWS Backup restore testing picks recovery points",
    }),
    window: positiveDuration('the window')
      .optional()
      .meta({ description: 'With pick: random, how far back a backup may be chosen (default 30d)' }),
  })
  .superRefine((b, ctx) => {
    if (b.pick && (b.name !== undefined || b.take))
      ctx.addIssue({
        code: 'custom',
        path: ['pick'],
        message: `\`pick\` chooses among the backups of \`schedule\`; with \`${b.take ? 'take: true' : 'name'}\` there is only one`,
      });
    if (b.pick === 'random' && !b.schedule && b.name === undefined && !b.take)
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: '`pick: random` picks among the Completed backups of `schedule`: name the schedule',
      });
    if (b.window !== undefined && b.pick !== 'random')
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: '`window` is how far back `pick: random` may go: set `pick: random`, or drop `window`',
      });
    const ways = [b.from === 'latest' || b.schedule !== undefined, b.name !== undefined, b.take].filter(Boolean).length;
    if (ways !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'choose one source: `from: latest` with `schedule`, or `name`, or `take: true`',
      });
    if (b.from === 'latest' && !b.schedule)
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: '`from: latest` needs the `schedule` whose newest backup to use',
      });
  });

const protection = z.strictObject({
  objectLock: z
    .strictObject({
      required: z.boolean().default(true),
      minMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
      coverTtl: z
        .boolean()
        .default(true)
        .meta({ description: "Each object's retain-until must cover the backup's expiration" }),
      canary: z
        .boolean()
        .default(true)
        .meta({ description: 'Prove the lock: write a locked canary object and try to delete it' }),
    })
    .default({ required: true, minMode: 'GOVERNANCE', coverTtl: true, canary: true }),
  replica: z
    .strictObject({
      endpoint: z.string().url().optional(),
      bucket: z.string().min(1),
      prefix: z.string().default(''),
      region: z.string().default('us-east-1'),
      credentialsSecret: z
        .strictObject({ namespace: z.string(), name: z.string(), key: z.string().default('cloud') })
        .optional(),
    })
    .optional(),
});

const hosting = z.strictObject({ namespace: name, selector });

const disasterStep = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('delete-namespace'), namespaces: z.array(name).min(1) }),
  z.strictObject({
    type: z.literal('delete-workload'),
    namespace: name,
    selector,
    kinds: z
      .array(z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod']))
      .default(['Deployment', 'StatefulSet', 'DaemonSet']),
  }),
  z.strictObject({
    type: z.literal('delete-pvc'),
    namespace: name,
    names: z.array(z.string()).optional(),
    selector: selector.optional(),
  }),
  z.strictObject({
    type: z.literal('stop-nodes'),
    nodes: z.array(z.string()).optional(),
    hosting: hosting.optional(),
    command: argv
      .optional()
      .meta({ description: 'How to stop a node outside the lab and kind: argv, with {node} replaced' }),
    startCommand: argv.optional().meta({ description: 'How to start it again (the revert)' }),
  }),
  z.strictObject({
    type: z.literal('lose-zone'),
    zone: z.string().min(1),
    command: argv.optional(),
    startCommand: argv.optional(),
  }),
  z.strictObject({
    type: z.literal('command'),
    argv: argv.optional(),
    script: z.string().optional().meta({ description: 'A zx script to run' }),
    revert: argv.optional(),
    timeout: timeout('the command timeout').prefault('10m'),
  }),
]);

const restorePhase = z.strictObject({
  name: z.string().optional(),
  include: z
    .array(z.string())
    .optional()
    .meta({ description: 'includedResources, e.g. networkpolicies.networking.k8s.io' }),
  exclude: z.array(z.string()).optional().meta({ description: 'excludedResources' }),
  includeClusterResources: z.boolean().optional().meta({
    description:
      "Velero's includeClusterResources: with namespaces filtered, Velero restores cluster-scoped items only when true",
  }),
});

const recovery = z.strictObject({
  mode: z.enum(['velero', 'command', 'runbook']).default('velero'),
  context: z
    .string()
    .optional()
    .meta({ description: 'Recover into another cluster (datacenter loss); its Velero must see the same bucket' }),
  phases: z
    .array(restorePhase)
    .min(1)
    .optional()
    .meta({ description: 'One Velero Restore per phase; default: NetworkPolicies, then everything else' }),
  existingResourcePolicy: z.enum(['none', 'update']).default('none'),
  allowExisting: z.boolean().default(false).meta({
    description:
      'Recovery into another cluster may find the target namespaces there already (they are accounted for in the inventory); by default that is refused',
  }),
  command: argv.optional(),
  runbook: z.string().optional(),
  timeout: timeout('the recovery timeout').prefault('30m'),
});

const verifyStep = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('workloads-ready'),
    timeout: timeout('the timeout').prefault('15m'),
    namespaces: z.array(name).optional(),
  }),
  z.strictObject({
    type: z.literal('http'),
    url: z.string().url().optional(),
    service: z
      .strictObject({
        namespace: name,
        name,
        port: z.union([
          z.number().int().min(1, 'a port is 1 to 65535').max(65535, 'a port is 1 to 65535'),
          z.string().min(1),
        ]),
        path: z.string().default('/'),
      })
      .optional()
      .meta({ description: 'Probe a Service through the API server proxy' }),
    expectStatus: expectStatus(),
    bodyRegex: z.string().optional(),
    timeout: timeout('the timeout').prefault('5m'),
  }),
  z.strictObject({
    type: z.literal('command'),
    argv,
    expectExit: z.number().int().min(0, 'an exit code is 0 to 255').max(255, 'an exit code is 0 to 255').default(0),
    timeout: timeout('the timeout').prefault('5m'),
  }),
  z.strictObject({ type: z.literal('sentinel') }),
  z.strictObject({
    type: z.literal('inventory'),
    ignore: z.array(z.string()).default([]).meta({ description: 'Kinds or kind/name to leave out of the diff' }),
  }),
  z
    .strictObject({
      type: z.literal('network-policy-coverage'),
      namespaces: z.array(name).optional().meta({ description: 'Default: the target namespaces' }),
    })
    .meta({
      description:
        "Every restored workload's pods are selected by a NetworkPolicy (on by default for hardened targets)",
    }),
]);

const sentinel = z.strictObject({
  command: z
    .strictObject({
      write: argv.meta({ description: 'Writes $KDRILL_RUN_ID into the application (before a fresh backup)' }),
      read: argv.meta({ description: 'Prints the value the application holds' }),
    })
    .optional()
    .meta({ description: "A sentinel in the application's own data, instead of a ConfigMap" }),
  configMap: z.string().default('kdrill-sentinel'),
  namespace: name.optional().meta({ description: 'Default: the first target namespace' }),
  key: z.string().default('runId'),
});

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal('kdrill.dev/v1alpha1'),
  kind: z.literal('Scenario'),
  metadata: z.strictObject({
    name,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z
    .strictObject({
      objectives,
      drill,
      // zero has its own message, from positiveDuration
      requiredEvery: positiveDuration('requiredEvery')
        .refine((v) => v === 0 || v >= 3600, { message: 'requiredEvery is at least 1h: a drill is not a health check' })
        .optional()
        .meta({
          description:
            'How often this drill must run (e.g. 30d); `kdrill evidence report` names every stretch without a run longer than this as a gap',
        }),
      target,
      backup,
      protection: protection.default({
        objectLock: { required: true, minMode: 'GOVERNANCE', coverTtl: true, canary: true },
      }),
      mode: z.enum(['drill', 'restore-test']).default('drill').meta({
        description:
          'drill: inject the disaster, restore in place, verify. restore-test: no disaster; restore the backup into isolated sandbox namespaces, verify there, tear them down',
      }),
      disaster: z
        .array(disasterStep)
        .default([])
        .meta({ description: 'The disaster, step by step (a drill needs one; a restore test has none)' }),
      sandbox: sandboxSchema
        .optional()
        .meta({ description: 'Where a restore test restores, and how it is fenced off' }),
      recovery: recovery.default({
        mode: 'velero',
        existingResourcePolicy: 'none',
        allowExisting: false,
        timeout: 1800,
      }),
      verify: z.array(verifyStep).min(1),
      sentinel: sentinel.optional(),
      detect: detectSchema.optional(),
      availability: z
        .array(availabilityTarget)
        .optional()
        .meta({ description: 'Endpoints sampled for downtime from the disaster to the end of verification' }),
      lab: z
        .strictObject({
          hardened: z
            .union([z.boolean(), z.enum(['deny', 'warn'])])
            .default(false)
            .meta({
              description:
                'Run the --lab drill on a hardened lab: true or deny refuses workloads no NetworkPolicy selects, warn admits them with a warning',
            }),
          clusters: z
            .union([z.literal(1), z.literal(2)])
            .default(1)
            .meta({ description: '2 adds the recovery cluster kdrill-lab-2' }),
          objectLock: z.boolean().default(true),
          monitoring: z.boolean().default(false).meta({
            description: "Start Debian's Prometheus and Alertmanager for the lab (kdrill lab up --monitoring)",
          }),
        })
        .optional()
        .meta({ description: 'How `kdrill run --lab` builds its ephemeral lab' }),
    })
    .superRefine((spec, ctx) => {
      modeRules(spec, ctx);
      checkDetect(spec, ctx);
      // a namespace the disaster hits but the drill does not target would be neither restored nor verified
      spec.disaster.forEach((d, i) => {
        const hit =
          d.type === 'delete-namespace'
            ? d.namespaces
            : d.type === 'delete-workload' || d.type === 'delete-pvc'
              ? [d.namespace]
              : [];
        for (const n of hit) {
          if (!spec.target.namespaces.includes(n))
            ctx.addIssue({
              code: 'custom',
              path: ['disaster', i, d.type === 'delete-namespace' ? 'namespaces' : 'namespace'],
              message: `namespace "${n}" is not in target.namespaces: the drill would destroy it and never restore or verify it`,
            });
        }
      });
    }),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type DisasterStep = Scenario['spec']['disaster'][number];
export type VerifyStep = Scenario['spec']['verify'][number];
export type RestorePhase = z.output<typeof restorePhase>;
