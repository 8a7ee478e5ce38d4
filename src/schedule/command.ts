import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { allowedContexts, contextAllowed } from '../drill/allow.js';
import { DrillError, ExitCode, usageError } from '../errors.js';
import { checkPublishOptions } from '../history/check.js';
import { connectKube } from '../kube/client-node.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { requireScenario } from '../scenario/load.js';
import { splitTimeZone } from '../time/cron.js';
import { applyObjects, cronJobApiOf } from './apply.js';
import { scheduledSandboxNames } from './rbac-restore-test.js';
import { cronJobScheduleProblem, scheduleManifests, type CronJobApi, type ScheduleOptions } from './manifests.js';
import { makeDir } from '../fs/make-dir.js';

/** The flags of `kdrill schedule`: the manifest options, and where they go. */
export interface ScheduleCommandArgs extends Omit<ScheduleOptions, 'cronJobApi'> {
  scenario: string;
  kubeconfig?: string;
  context?: string;
  cronjobApi?: CronJobApi;
  outDir?: string;
  apply: boolean;
  allowContext?: string[];
}

const say = (m: string): boolean => process.stderr.write(`${m}\n`);

/** Checks everything first (exit 2), then prints, writes or applies. */
export async function scheduleCommand(a: ScheduleCommandArgs): Promise<void> {
  const problem = cronJobScheduleProblem(a.cron);
  if (problem)
    throw usageError(
      `--cron "${a.cron}" is not a CronJob schedule (${problem})`,
      'five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 every night',
    );
  checkPublishOptions({ history: a.history, pushgateway: a.pushgateway });
  const s = await requireScenario(a.scenario);
  if (s.spec.mode === 'restore-test') scheduledSandboxNames(s);
  const text = await readFile(a.scenario, 'utf8');
  const kube = a.apply ? connectKube({ kubeconfig: a.kubeconfig, context: a.context }) : undefined;
  const api = kube ? await servedApi(kube, a) : (a.cronjobApi ?? 'batch/v1');
  checkTimeZone(a, api, !!kube);
  const { objects, notes } = scheduleManifests(s, text, { ...a, cronJobApi: api });
  if (a.outDir) await writeFiles(a.outDir, objects);
  else if (!kube) process.stdout.write(objects.map((o) => stringify(o)).join('---\n'));
  if (kube) {
    for (const line of await applyObjects(kube, objects)) say(line);
    say(
      `scheduled: ${s.metadata.name} runs "${a.cron}" in ${kube.context} (CronJob ${a.installNamespace}/kdrill-${s.metadata.name}, ${api})`,
    );
  }
  for (const n of notes) say(`note: ${n}`);
}

/** With --apply: the context must be allow-listed, and the CronJob API one the cluster serves. */
async function servedApi(kube: KubeApi, a: ScheduleCommandArgs): Promise<CronJobApi> {
  const ok = contextAllowed(allowedContexts(a.allowContext ?? []), kube.context, kube.server);
  if (!ok.ok)
    throw new DrillError(
      'CONTEXT_NOT_ALLOWED',
      `${ok.why}: the CronJob will delete things there on schedule`,
      ExitCode.Precondition,
      {
        hint: `allow it with --allow-context ${kube.context} (or KDRILL_ALLOW_CONTEXTS), or print the manifests without --apply`,
      },
    );
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
      {
        hint: `drop --cronjob-api, or use ${served}`,
      },
    );
  if (served !== (a.cronjobApi ?? 'batch/v1'))
    say(`note: the cluster does not serve batch/v1 CronJob (Kubernetes before 1.21): using ${served}`);
  return served;
}

/**
 * A CRON_TZ=/TZ= prefix becomes spec.timeZone (Kubernetes 1.25+, GA in 1.27), since the API server
 * refuses TZ inside spec.schedule on create from 1.29. batch/v1beta1 clusters (before 1.21) have
 * neither.
 */
function checkTimeZone(a: ScheduleCommandArgs, api: CronJobApi, fromCluster: boolean): void {
  const { timeZone } = splitTimeZone(a.cron);
  if (!timeZone) return;
  if (api === 'batch/v1beta1') {
    const message = `--cron "${a.cron}" names a time zone, which a batch/v1beta1 CronJob cannot carry`;
    const hint = "write the schedule in the controller-manager's time zone (usually UTC), without CRON_TZ=";
    throw fromCluster
      ? new DrillError('CRONJOB_TIME_ZONE', message, ExitCode.Precondition, { hint })
      : usageError(message, hint);
  }
  say(`note: the time zone ${timeZone} goes into spec.timeZone, which needs Kubernetes 1.25 or later`);
}

async function writeFiles(dir: string, objects: KubeObject[]): Promise<void> {
  await makeDir(dir, 'the directory for the manifests');
  for (const [i, o] of objects.entries()) {
    const ns = o.metadata?.namespace ? `${o.metadata.namespace}-` : '';
    const base = `${String(i + 1).padStart(2, '0')}-${o.kind!.toLowerCase()}-${ns}${o.metadata!.name!.replace(/[:/]/g, '-')}`;
    await writeFile(join(dir, `${base}.yaml`), stringify(o));
  }
  say(`wrote ${objects.length} manifests to ${dir}`);
}
