import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { allowedContexts, contextAllowed } from '../drill/allow.js';
import { DrillError, ExitCode, usageError } from '../errors.js';
import { checkPublishOptions } from '../history/check.js';
import { connectKube } from '../kube/client-node.js';
import { requireScenario } from '../scenario/load.js';
import { applyObjects, cronJobApiOf } from './apply.js';
import type { KubeArgs } from '../cli/kube-options.js';
import { isCron, scheduleManifests, type CronJobApi, type ScheduleOptions } from './manifests.js';

/** The flags of `kdrill schedule`: the manifest options, and where they go. */
export interface ScheduleCommandArgs extends Omit<ScheduleOptions, 'cronJobApi'>, KubeArgs {
  scenario: string;
  cronjobApi?: CronJobApi;
  outDir?: string;
  apply: boolean;
  allowContext?: string[];
}

const say = (m: string): boolean => process.stderr.write(`${m}\n`);

/** Checks everything first (exit 2), then prints, writes or applies. */
export async function scheduleCommand(a: ScheduleCommandArgs): Promise<void> {
  if (!isCron(a.cron))
    throw usageError(
      `--cron "${a.cron}" is not a CronJob schedule`,
      'five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 every night',
    );
  checkPublishOptions({ history: a.history, pushgateway: a.pushgateway });
  const s = await requireScenario(a.scenario);
  const text = await readFile(a.scenario, 'utf8');

  let api: CronJobApi = a.cronjobApi ?? 'batch/v1';
  const kube = a.apply ? connectKube({ kubeconfig: a.kubeconfig, context: a.context }) : undefined;
  if (kube) {
    const ok = contextAllowed(allowedContexts(a.allowContext ?? []), kube.context, kube.server);
    if (!ok.ok) {
      throw new DrillError(
        'CONTEXT_NOT_ALLOWED',
        `${ok.why}: the CronJob will delete things there on schedule`,
        ExitCode.Precondition,
        {
          hint: `allow it with --allow-context ${kube.context} (or KDRILL_ALLOW_CONTEXTS), or print the manifests without --apply`,
        },
      );
    }
    const served = await cronJobApiOf(kube);
    if (!served)
      throw new DrillError(
        'NO_CRONJOB_API',
        `context "${kube.context}" serves no CronJob API (batch/v1 or batch/v1beta1)`,
        ExitCode.Precondition,
        { hint: 'is this a Kubernetes API server?' },
      );
    if (a.cronjobApi && a.cronjobApi !== served)
      throw new DrillError(
        'CRONJOB_API_NOT_SERVED',
        `the cluster does not serve CronJob ${a.cronjobApi}`,
        ExitCode.Precondition,
        { hint: `drop --cronjob-api, or use ${served}` },
      );
    if (served !== api)
      say(`note: the cluster does not serve batch/v1 CronJob (Kubernetes before 1.21): using ${served}`);
    api = served;
  }

  const { objects, notes } = scheduleManifests(s, text, {
    cron: a.cron,
    namespace: a.namespace,
    image: a.image,
    s3Secret: a.s3Secret,
    bslSecret: a.bslSecret,
    history: a.history,
    historyEndpoint: a.historyEndpoint,
    pushgateway: a.pushgateway,
    cronJobApi: api,
  });
  if (a.outDir) {
    await mkdir(a.outDir, { recursive: true });
    for (const [i, o] of objects.entries()) {
      const file = join(
        a.outDir,
        `${String(i + 1).padStart(2, '0')}-${o.kind!.toLowerCase()}-${o.metadata?.namespace ? `${o.metadata.namespace}-` : ''}${o.metadata!.name!.replace(/[:/]/g, '-')}.yaml`,
      );
      await writeFile(file, stringify(o));
    }
    say(`wrote ${objects.length} manifests to ${a.outDir}`);
  } else if (!kube) {
    process.stdout.write(objects.map((o) => stringify(o)).join('---\n'));
  }
  if (kube) {
    for (const line of await applyObjects(kube, objects)) say(line);
    say(
      `scheduled: ${s.metadata.name} runs "${a.cron}" in ${kube.context} (CronJob ${a.namespace}/kdrill-${s.metadata.name}, ${api})`,
    );
  }
  for (const n of notes) say(`note: ${n}`);
}
