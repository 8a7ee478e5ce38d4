import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DrillError, ExitCode, systemClock } from './core.js';
import type { Clock } from './core.js';
import { AwsObjectStore } from './core.js';
import { parseAwsCredentials } from './core.js';
import type { S3Settings } from './core.js';
import { connectKube } from './core.js';
import type { KubeApi } from './core.js';
import { DEFAULT_EXEMPT, type HardenedAction, type HardenedScope } from './admission/hardened.js';
import type { ApplyReport } from './apply.js';
import type { VeleroVersion } from './velero/versions.js';
import { startHardenedWebhook, type WebhookHandle } from './admission/webhook.js';
import { claimCluster } from './claim.js';
import { markAsLab, staleWebhook } from './gc.js';
import { LabApiServer } from './apiserver/server.js';
import { startControllers, type ControllersHandle } from './controllers/index.js';
import type { NodeLayout } from './controllers/nodes.js';
import { LAB_CONTEXT, labKubeconfig } from './kubeconfig.js';
import { LabS3Server } from './s3/server.js';
import { seedApp, seedBackups } from './seed.js';
import { summarize } from './apply.js';
import { startVelero, type VeleroHandle } from './velero/controller.js';
import { installVelero, prepareBucket } from './velero/install.js';

export const VELERO_NAMESPACE = 'velero';
export const BACKUP_TTL = '720h0m0s';
export const DEFAULT_BUCKET = 'kdrill-lab-backups';

export interface LabOptions {
  dir: string;
  port?: number;
  /** true or 'deny': refuse workloads no NetworkPolicy selects; 'warn': admit them with a warning (Gatekeeper's warn action). */
  hardened?: boolean | HardenedAction | HardenedScope;
  /** The Velero version the lab Velero behaves as. */
  veleroVersion?: VeleroVersion;
  layout?: NodeLayout;
  startDelayMs?: number;
  evictionDelayMs?: number;
  bookmarkIntervalMs?: number;
  /**
   * 'real': attach to the kube-apiserver of `realKubeconfigs[i]` (scripts/kapi-start.sh) instead of the
   * lab's own, for each cluster that has one; a recovery cluster without one is the lab's own.
   */
  k8s?: 'lab' | 'real';
  realKubeconfigs?: string[];
  /** 2 adds a recovery cluster (context kdrill-lab-2) whose Velero reads the same bucket. */
  clusters?: 1 | 2;
  /** A real S3 instead of the embedded one. */
  s3?: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; region?: string };
  bucket?: string;
  objectLock?: boolean;
  /**
   * Seed the app and backups; false for a bare cluster. `defaultNamespace` is where objects without a
   * namespace go (`kubectl apply -n`); `backupNamespaces` what the nightly Schedule backs up (default:
   * the app's namespaces).
   */
  seed?:
    | false
    | { apps: string[]; withThanos: boolean; backups: number; defaultNamespace?: string; backupNamespaces?: string[] };
  log?: (msg: string) => void;
  /** The time of every component: S3, API server, controllers, Velero, the seed (systemClock by default). */
  clock?: Clock;
}

export interface LabCluster {
  context: string;
  server: string;
  kube: KubeApi;
  controllers: ControllersHandle;
  velero: VeleroHandle;
  api?: LabApiServer;
  webhook?: WebhookHandle;
}

export interface RunningLab {
  dir: string;
  kubeconfig: string;
  contexts: string[];
  clusters: LabCluster[];
  s3: { endpoint: string; bucket: string; credentialsFile: string; embedded: boolean; objectLock: boolean };
  backups: string[];
  /** What the nightly Schedule backs up. */
  backupNamespaces: string[];
  /** What loading the app applied, skipped and had refused, per kind. */
  app?: ApplyReport & { backupNamespaces: string[] };
  warnings: string[];
  stop(): Promise<void>;
}

export function hardenedScope(h: LabOptions['hardened']): HardenedScope | undefined {
  if (!h) return undefined;
  if (h === true || h === 'deny' || h === 'warn')
    return { exemptNamespaces: DEFAULT_EXEMPT, action: h === 'warn' ? 'warn' : 'deny' };
  return h;
}

/** The lab's S3 keys: made once per lab dir and kept in an AWS credentials file readable only by its owner. */
async function labCredentials(file: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  try {
    const c = parseAwsCredentials(await readFile(file, 'utf8'));
    if (c) return c;
  } catch {
    // first start
  }
  const c = {
    accessKeyId: `KDRILL${randomBytes(7).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  await writeFile(file, `[default]\naws_access_key_id=${c.accessKeyId}\naws_secret_access_key=${c.secretAccessKey}\n`, {
    mode: 0o600,
  });
  return c;
}

/** What the lab has started, stopped in reverse order when it stops or fails to start. */
class Stops {
  private readonly stops: (() => Promise<void>)[] = [];

  push(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const s of this.stops.reverse()) await s().catch(() => undefined);
  }
}

/** What the steps of startLab share. */
interface LabStart {
  opts: LabOptions;
  log: (msg: string) => void;
  clock: Clock;
  stops: Stops;
}

type LabS3 = RunningLab['s3'] & { settings: S3Settings };
type KubeContext = { name: string; cluster: { server: string; [k: string]: unknown }; user: Record<string, unknown> };

/**
 * Starts a whole lab in this process: S3 (embedded, or a real one), one or two Kubernetes clusters
 * (the lab's API server, or a real one) with the lab controllers and a lab Velero each, and seeds the
 * application and its nightly backups. Everything binds to 127.0.0.1.
 */
export async function startLab(opts: LabOptions): Promise<RunningLab> {
  const lab: LabStart = {
    opts,
    log: opts.log ?? (() => undefined),
    clock: opts.clock ?? systemClock,
    stops: new Stops(),
  };
  await mkdir(opts.dir, { recursive: true });
  try {
    // first, before S3 or any cluster is touched: no other lab may drive these real clusters
    await claimRealClusters(lab);
    const s3 = await startS3(lab);
    const kubeconfig = join(opts.dir, 'kubeconfig');
    const contexts: KubeContext[] = [];
    const clusters: LabCluster[] = [];
    for (let i = 0; i < (opts.clusters ?? 1); i++) clusters.push(await startCluster(lab, i, s3.settings, contexts));
    const seeded = opts.seed === false ? undefined : await seedLab(lab, clusters[0]!.kube);
    const { settings: _s, ...s3Info } = s3;
    return {
      dir: opts.dir,
      kubeconfig,
      contexts: clusters.map((c) => c.context),
      clusters,
      s3: s3Info,
      backups: seeded?.backups ?? [],
      backupNamespaces: seeded?.backupNamespaces ?? [],
      app: seeded?.app,
      warnings: seeded?.warnings ?? [],
      stop: () => lab.stops.stopAll(),
    };
  } catch (e) {
    await lab.stops.stopAll();
    throw e;
  }
}

/** One lab per real cluster: refused when another lab's webhook or Lease is there (claim.ts). */
async function claimRealClusters({ opts, clock, stops }: LabStart): Promise<void> {
  for (const kc of opts.k8s === 'real' ? (opts.realKubeconfigs ?? []).slice(0, opts.clusters ?? 1) : []) {
    const real = connectKube({ kubeconfig: kc });
    if (await staleWebhook(real, clock.now())) {
      throw new DrillError(
        'LAB_STALE_WEBHOOK',
        `a kdrill lab that is gone left its admission webhook on ${real.server}: the cluster refuses every guarded Pod create while nothing answers it`,
        ExitCode.Precondition,
        { hint: `remove what it left first: kdrill lab gc --kubeconfig ${kc}` },
      );
    }
    const claim = await claimCluster(real, opts.dir, clock);
    stops.push(() => claim.release());
  }
}

/** The embedded S3 (or the real one given), its credentials file, and the bucket made ready for Velero. */
async function startS3({ opts, log, clock, stops }: LabStart): Promise<LabS3> {
  const credentialsFile = join(opts.dir, 's3-credentials');
  let endpoint: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  if (opts.s3) {
    endpoint = opts.s3.endpoint;
    credentials = opts.s3.credentials;
    await writeFile(
      credentialsFile,
      `[default]\naws_access_key_id=${credentials.accessKeyId}\naws_secret_access_key=${credentials.secretAccessKey}\n`,
      { mode: 0o600 },
    );
  } else {
    credentials = await labCredentials(credentialsFile);
    const s3 = new LabS3Server({ credentials, dir: join(opts.dir, 's3'), clock });
    endpoint = await s3.listen(0);
    stops.push(() => s3.close());
  }
  const objectLock = opts.objectLock ?? true;
  const settings: S3Settings = {
    endpoint,
    region: opts.s3?.region ?? 'us-east-1',
    bucket: opts.bucket ?? DEFAULT_BUCKET,
    prefix: '',
    forcePathStyle: true,
    credentials,
  };
  await prepareBucket(new AwsObjectStore(settings), { objectLock, retentionDays: 31 });
  log(
    `S3 ${endpoint}, bucket ${settings.bucket}${objectLock ? ' (Object Lock, GOVERNANCE 31 days)' : ' (no Object Lock)'}`,
  );
  return { endpoint, bucket: settings.bucket, credentialsFile, embedded: !opts.s3, objectLock, settings };
}

/** Cluster `i`: its API server (or the real one), the controllers, the webhook on a real one, and Velero. */
async function startCluster(
  lab: LabStart,
  i: number,
  settings: S3Settings,
  contexts: KubeContext[],
): Promise<LabCluster> {
  const { opts, stops } = lab;
  const context = i === 0 ? LAB_CONTEXT : `${LAB_CONTEXT}-${i + 1}`;
  const hardened = hardenedScope(opts.hardened);
  const api = await apiServerFor(lab, i, context, contexts);
  const kubeconfig = join(opts.dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, contexts);
  const kube = connectKube({ kubeconfig, context });
  const layout = i === 0 ? opts.layout : { zones: ['dc2-a', 'dc2-b', 'dc2-c'], perZone: opts.layout?.perZone ?? 2 };
  const controllers = await startControllers(kube, {
    layout,
    startDelayMs: opts.startDelayMs,
    evictionDelayMs: opts.evictionDelayMs,
    workloads: 'auto',
    cluster: i,
    clock: lab.clock,
  });
  stops.push(() => controllers.stop());
  let webhook: WebhookHandle | undefined;
  if (!api && hardened) {
    webhook = await startHardenedWebhook(kube, hardened, join(opts.dir, 'webhook-certs'));
    stops.push(() => webhook!.stop());
  }
  const velero = await startLabVelero(lab, kube, i, settings);
  const server = contexts[i]!.cluster.server;
  lab.log(`cluster ${context}: ${server}`);
  return { context, server, kube, controllers, velero, api, webhook };
}

/** The lab's own API server for cluster `i`, or undefined when it attaches to a real one; its context added. */
async function apiServerFor(
  { opts, clock, stops }: LabStart,
  i: number,
  context: string,
  contexts: KubeContext[],
): Promise<LabApiServer | undefined> {
  const realKubeconfig = opts.k8s === 'real' ? opts.realKubeconfigs?.[i] : undefined;
  if (realKubeconfig) {
    const real = parse(await readFile(realKubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
      users: { user: Record<string, unknown> }[];
    };
    contexts.push({ name: context, cluster: real.clusters[0]!.cluster, user: real.users[0]!.user });
    return undefined;
  }
  const api = new LabApiServer({
    hardened: hardenedScope(opts.hardened),
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    clock,
  });
  const server = await api.listen(i === 0 ? (opts.port ?? 0) : 0);
  stops.push(() => api.close());
  const kc = parse(labKubeconfig(server, context)) as { clusters: { cluster: { server: string } }[] };
  contexts.push({ name: context, cluster: kc.clusters[0]!.cluster, user: {} });
  return api;
}

/** `velero install` into the cluster, marked for `lab gc`, and the lab Velero started against it. */
async function startLabVelero(lab: LabStart, kube: KubeApi, i: number, settings: S3Settings): Promise<VeleroHandle> {
  const { opts } = lab;
  await installVelero(kube, {
    namespace: VELERO_NAMESPACE,
    bsl: 'default',
    settings,
    ttl: BACKUP_TTL,
    validationFrequency: '10s',
    version: opts.veleroVersion,
    clock: lab.clock,
  });
  // what `lab gc` must find again on a real cluster, whatever becomes of this process
  const crds = (
    await kube.list({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' })
  ).items.filter((c) => c.spec?.group === 'velero.io');
  await markAsLab(kube, [
    { apiVersion: 'v1', kind: 'Namespace', name: VELERO_NAMESPACE },
    ...crds.map((c) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: c.metadata?.name ?? '',
    })),
  ]);
  if (i > 0) {
    // the recovery cluster reads the backups and must not write to them
    await kube.patch(
      { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: VELERO_NAMESPACE, name: 'default' },
      { spec: { accessMode: 'ReadOnly' } },
    );
  }
  const velero = await startVelero(kube, {
    namespace: VELERO_NAMESPACE,
    version: opts.veleroVersion,
    validationMs: 1000,
    syncMs: 1000,
    restoreItemDelayMs: Number(process.env.KDRILL_LAB_RESTORE_ITEM_DELAY_MS ?? 0) || undefined,
    clock: lab.clock,
  });
  lab.stops.push(() => velero.stop());
  return velero;
}

/** The application and its nightly backups on the primary cluster; what was refused or skipped, as warnings. */
async function seedLab(
  { opts, log, clock }: LabStart,
  primary: KubeApi,
): Promise<Pick<RunningLab, 'backups' | 'backupNamespaces' | 'app' | 'warnings'>> {
  const seed = opts.seed || { apps: [], withThanos: true, backups: 2 };
  const seeded = await seedApp(primary, {
    apps: seed.apps,
    withThanos: seed.withThanos,
    defaultNamespace: seed.defaultNamespace,
    clock,
  });
  for (const line of summarize(seeded.report)) log(line);
  const warnings = [
    ...seeded.report.refused.map((r) => `refused ${r.object}: ${r.reason}`),
    ...seeded.report.skipped.map((sk) => `skipped ${sk.count} ${sk.kind}: ${sk.reason}`),
  ];
  const backupNamespaces = seed.backupNamespaces?.length ? seed.backupNamespaces : seeded.namespaces;
  log(
    `app seeded in ${seeded.namespaces.join(', ') || 'no namespace'}; the nightly Schedule backs up ${backupNamespaces.join(', ')}`,
  );
  const backups = await seedBackups(primary, {
    namespaces: backupNamespaces,
    veleroNamespace: VELERO_NAMESPACE,
    ttl: BACKUP_TTL,
    count: seed.backups,
    clock,
  });
  log(`backups: ${backups.join(', ')}`);
  return { backups, backupNamespaces, app: { ...seeded.report, backupNamespaces }, warnings };
}

async function writeKubeconfig(
  path: string,
  contexts: { name: string; cluster: Record<string, unknown>; user: Record<string, unknown> }[],
): Promise<void> {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({ name: c.name, cluster: c.cluster })),
    users: contexts.map((c) => ({ name: c.name, user: c.user })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name } })),
    'current-context': contexts[0]!.name,
  };
  // it may hold a real cluster's client key: the owner only
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
