import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { parse } from 'yaml';
import type { RunDeps } from '../../src/drill/context.js';
import { Journal } from '../../src/drill/journal.js';
import { newState, type RunState } from '../../src/drill/state.js';
import type { Phase } from '../../src/drill/types.js';
import type { CommandRunner } from '../../src/exec/command.js';
import type { KubeObject } from '../../src/kube/types.js';
import { scenarioSchema, type Scenario } from '../../src/scenario/schema.js';
import { FakeClock } from './fakes/fake-clock.js';
import { FakeKube } from './fakes/fake-kube.js';
import { FakeObjectStore } from './fakes/fake-object-store.js';

export const NS = 'shop';
const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
const GR: Record<string, string> = {
  Deployment: 'deployments.apps',
  Service: 'services',
  ConfigMap: 'configmaps',
  NetworkPolicy: 'networkpolicies.networking.k8s.io',
  Namespace: 'namespaces',
  Secret: 'secrets',
};
const LIST_KEY: Record<string, string> = {
  Deployment: 'apps/v1/Deployment',
  Service: 'v1/Service',
  ConfigMap: 'v1/ConfigMap',
  NetworkPolicy: 'networking.k8s.io/v1/NetworkPolicy',
  Namespace: 'v1/Namespace',
  Secret: 'v1/Secret',
};

/** A small application: a ready Deployment, its Service and ConfigMap, a NetworkPolicy, and the sentinel. */
export function appObjects(ns = NS): KubeObject[] {
  const labels = { app: 'web' };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { team: 'shop' } },
      status: { phase: 'Active' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns, labels },
      spec: { selector: labels, ports: [{ port: 80 }], clusterIP: '10.96.0.10' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { greeting: 'hello' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kdrill-sentinel', namespace: ns },
      data: { runId: 'seed' },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-web', namespace: ns },
      spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] },
    },
  ];
}

/** Velero's server Deployment and a BSL it validated just now. */
function veleroObjects(clock: FakeClock, readyReplicas = 1): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' }, status: { phase: 'Active' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'velero', namespace: 'velero', labels: { component: 'velero' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { deploy: 'velero' } },
        template: {
          metadata: { labels: { deploy: 'velero' } },
          spec: { containers: [{ name: 'velero', image: 'velero/velero:v1.14.1' }] },
        },
      },
      status: { replicas: 1, readyReplicas },
    },
    {
      ...V('BackupStorageLocation'),
      metadata: { name: 'default', namespace: 'velero' },
      spec: { provider: 'aws', objectStorage: { bucket: 'fake' }, default: true },
      status: {
        phase: 'Available',
        lastValidationTime: clock
          .now()
          .toISOString()
          .replace(/\.\d+Z$/, 'Z'),
      },
    },
  ];
}

async function tarball(files: { path: string; data: string }[]): Promise<Buffer> {
  const p = pack();
  for (const f of files) p.entry({ name: f.path }, f.data);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

export type RestoreBehaviour = 'complete' | 'partial' | 'partial-unreadable' | 'ignore';

/** A recording reporter: what the terminal would show. */
export function recordingReporter(): RunDeps['reporter'] & { lines: string[]; phases: [Phase, string][] } {
  const lines: string[] = [];
  const phases: [Phase, string][] = [];
  return {
    lines,
    phases,
    phase: (p, status, detail) => void phases.push([p, `${status}${detail ? `: ${detail}` : ''}`]),
    info: (m) => void lines.push(m),
  };
}

const okRunner: CommandRunner = {
  run: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
  runZx: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
};

/**
 * A cluster (or two), a bucket, a Velero and a clock, all in memory: enough for the drill's phases to
 * run for real and be judged exactly. The fake Velero restores what `backup()` captured, taking
 * `restoreSeconds` of fake time per Restore, and can be told to fail in the ways real ones do.
 */
export class DrillWorld {
  readonly clock = new FakeClock(new Date('2026-12-01T02:30:00Z'));
  readonly kube: FakeKube;
  readonly recovery: FakeKube;
  readonly store = new FakeObjectStore({ now: () => this.clock.now() });
  readonly dir = mkdtempSync(join(tmpdir(), 'kdrill-world-'));
  readonly journal = new Journal(this.dir);
  readonly reporter = recordingReporter();
  restore: RestoreBehaviour = 'complete';
  restoreSeconds = 30;
  /** Restored Deployments come back ready (the controllers' work); false leaves them without status. */
  restoredReady = true;
  /** Objects the fake Velero drops from every restore, by kind/name (a restore that lost them). */
  dropOnRestore: string[] = [];
  /** Labels the fake Velero strips from what it restores (a restore that lost them). */
  stripLabels: string[] = [];
  warnings: string[] = [];
  private readonly backups = new Map<string, KubeObject[]>();
  abort = new AbortController();

  constructor(o: { twoClusters?: boolean } = {}) {
    this.kube = new FakeKube({ context: 'drill-a', clock: this.clock });
    this.recovery = o.twoClusters ? new FakeKube({ context: 'drill-b', clock: this.clock }) : this.kube;
    this.store.setDefaultRetention('GOVERNANCE', 31).catch(() => undefined);
    this.kube.seed([...veleroObjects(this.clock), ...appObjects()]);
    if (this.recovery !== this.kube) this.recovery.seed(veleroObjects(this.clock));
    for (const k of new Set([this.kube, this.recovery])) this.serveVelero(k);
  }

  /** What Velero would have put in the bucket for a backup of `namespaces` taken now, and its Backup CR. */
  async backup(
    name: string,
    o: {
      namespaces?: string[];
      schedule?: string;
      startedHoursAgo?: number;
      resourceList?: boolean;
      tarball?: boolean;
      cr?: boolean;
    } = {},
  ): Promise<void> {
    const namespaces = o.namespaces ?? [NS];
    const items = [
      ...this.kube
        .peekList({ apiVersion: 'v1', kind: 'Namespace' })
        .filter((n) => namespaces.includes(n.metadata?.name ?? '')),
    ];
    for (const k of ['Deployment', 'Service', 'ConfigMap', 'NetworkPolicy', 'Secret']) {
      const api = k === 'Deployment' ? 'apps/v1' : k === 'NetworkPolicy' ? 'networking.k8s.io/v1' : 'v1';
      items.push(
        ...this.kube
          .peekList({ apiVersion: api, kind: k })
          .filter((x) => namespaces.includes(x.metadata?.namespace ?? '')),
      );
    }
    this.backups.set(name, structuredClone(items));
    const list: Record<string, string[]> = {};
    for (const i of items)
      (list[LIST_KEY[i.kind!]!] ??= []).push(
        i.metadata?.namespace ? `${i.metadata.namespace}/${i.metadata.name}` : i.metadata!.name!,
      );
    if (o.resourceList !== false)
      await this.store.put(`backups/${name}/${name}-resource-list.json.gz`, gzipSync(JSON.stringify(list)));
    if (o.tarball !== false) {
      const files = items.map((i) => ({
        path: `resources/${GR[i.kind!]}/${i.metadata?.namespace ? `namespaces/${i.metadata.namespace}` : 'cluster'}/${i.metadata?.name}.json`,
        data: JSON.stringify(i),
      }));
      await this.store.put(
        `backups/${name}/${name}.tar.gz`,
        await tarball([{ path: 'metadata/version', data: '1.1.0\n' }, ...files]),
      );
    }
    await this.store.put(`backups/${name}/velero-backup.json`, '{}');
    const start = new Date(this.clock.now().getTime() - (o.startedHoursAgo ?? 1) * 3600_000);
    const k8s = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');
    const cr = {
      ...V('Backup'),
      metadata: { name, namespace: 'velero', labels: { 'velero.io/schedule-name': o.schedule ?? 'nightly' } },
      spec: { includedNamespaces: namespaces, ttl: '720h0m0s' },
      status: {
        phase: 'Completed',
        startTimestamp: k8s(start),
        completionTimestamp: k8s(new Date(start.getTime() + 60_000)),
        expiration: k8s(new Date(start.getTime() + 720 * 3600_000)),
      },
    };
    if (o.cr !== false) for (const k of new Set([this.kube, this.recovery])) k.seed([cr]);
  }

  /** A scenario with sensible defaults, deep-merged with `spec`. */
  scenario(spec: Record<string, unknown> = {}): Scenario {
    const base = {
      apiVersion: 'kdrill.dev/v1alpha1',
      kind: 'Scenario',
      metadata: { name: 'shop-loss' },
      spec: {
        objectives: { rto: '1h', rpo: '24h', retention: '7d' },
        drill: { goals: ['measure RTO'], leader: 'on-call', discovery: 'a ticket', cause: 'kubectl delete namespace' },
        target: { namespaces: [NS] },
        backup: { from: 'latest', schedule: 'nightly' },
        protection: { objectLock: { required: true, canary: true } },
        disaster: [{ type: 'delete-namespace', namespaces: [NS] }],
        verify: [{ type: 'workloads-ready', timeout: '5m' }, { type: 'sentinel' }, { type: 'inventory' }],
        ...spec,
      },
    };
    return scenarioSchema.parse(base);
  }

  deps(o: Partial<RunDeps> = {}): RunDeps {
    return {
      kube: this.kube,
      recoveryKube: this.recovery,
      storeFor: async () => ({ store: this.store, prefix: '' }),
      exec: okRunner,
      clock: this.clock,
      reporter: this.reporter,
      signal: this.abort.signal,
      journal: this.journal,
      allowed: { contexts: new Set(['drill-a', 'drill-b']), sources: ['test'], labServers: new Set() },
      fetchUrl: async (url) => this.store.get(url.replace(/^fake:\/\/[^/]+\//, '')),
      ...o,
    };
  }

  state(): RunState {
    return newState('abcd1234', this.clock.now());
  }

  /** Every write the drill made to a cluster: what "nothing was touched" is checked against. */
  writes(k: FakeKube = this.kube): string[] {
    return k.calls
      .filter((c) => !['get', 'list', 'watch'].includes(c.verb))
      .map((c) => `${c.verb} ${c.kind} ${c.namespace ?? ''}/${c.name ?? ''}`);
  }

  private serveVelero(k: FakeKube): void {
    k.on('DownloadRequest', async (event, d) => {
      if (event !== 'ADDED') return;
      const t = d.spec?.target as { kind: string; name: string };
      const key =
        t.kind === 'RestoreResults'
          ? `restores/${t.name}/restore-${t.name}-results.gz`
          : t.kind === 'BackupResourceList'
            ? `backups/${t.name}/${t.name}-resource-list.json.gz`
            : `backups/${t.name}/${t.name}.tar.gz`;
      await k.patchStatus(
        { ...V('DownloadRequest'), namespace: 'velero', name: d.metadata!.name! },
        { phase: 'Processed', downloadURL: `fake://fake/${key}` },
      );
    });
    k.on('Restore', async (event, r) => {
      if (event !== 'ADDED' || this.restore === 'ignore') return;
      const ref = { ...V('Restore'), namespace: 'velero', name: r.metadata!.name! };
      const start = this.clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      await k.patchStatus(ref, { phase: 'InProgress', startTimestamp: start });
      this.clock.advance(this.restoreSeconds * 1000);
      const inc = (r.spec?.includedResources as string[] | undefined) ?? [];
      const exc = (r.spec?.excludedResources as string[] | undefined) ?? [];
      const errors: string[] = [];
      // Velero's namespaceMapping and resource modifiers (merge patches, matched on the original namespace)
      const mapping = (r.spec?.namespaceMapping ?? {}) as Record<string, string>;
      const rules = modifierRules(k, r);
      for (const backedUp of this.backups.get(r.spec?.backupName as string) ?? []) {
        const gr = GR[backedUp.kind!]!;
        const o = applyRules(rules, gr, backedUp);
        const into = o.metadata?.namespace ? (mapping[o.metadata.namespace] ?? o.metadata.namespace) : undefined;
        if (o.kind === 'Namespace') {
          const name = mapping[o.metadata!.name!] ?? o.metadata!.name!;
          if (!k.peek({ apiVersion: 'v1', kind: 'Namespace', name }))
            await k.create({ ...o, metadata: { name, labels: o.metadata?.labels } });
          continue;
        }
        if (
          (inc.length && !inc.includes(gr)) ||
          exc.includes(gr) ||
          this.dropOnRestore.includes(`${o.kind}/${o.metadata?.name}`)
        )
          continue;
        if (this.restore !== 'complete' && o.kind === 'Deployment') {
          errors.push(
            `error restoring ${gr}/${o.metadata?.namespace}/${o.metadata?.name}: admission webhook "validation.gatekeeper.sh" denied the request: [require-networkpolicy] no NetworkPolicy selects it\n[require-resources] no CPU limits`,
          );
          continue;
        }
        const labels = Object.fromEntries(
          Object.entries({ ...(o.metadata?.labels ?? {}), 'velero.io/restore-name': ref.name }).filter(
            ([l]) => !this.stripLabels.includes(l),
          ),
        );
        const { status, ...rest } = o;
        await k
          .create({
            ...rest,
            metadata: {
              name: o.metadata?.name,
              namespace: into,
              labels,
              annotations: o.metadata?.annotations,
            },
            ...(o.kind === 'Deployment' && this.restoredReady ? { status } : {}),
          })
          .catch((e: Error) => errors.push(`error restoring ${gr}/${into}/${o.metadata?.name}: ${e.message}`));
      }
      const failed = errors.length > 0;
      if (this.restore === 'partial' || (failed && this.restore === 'complete') || this.warnings.length) {
        await this.store.put(
          `restores/${ref.name}/restore-${ref.name}-results.gz`,
          gzipSync(
            JSON.stringify({
              errors: { namespaces: failed ? { [NS]: errors } : {} },
              warnings: { namespaces: this.warnings.length ? { [NS]: this.warnings } : {} },
            }),
          ),
        );
      }
      const done = this.clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      await k.patchStatus(ref, {
        phase: failed ? 'PartiallyFailed' : 'Completed',
        startTimestamp: start,
        completionTimestamp: done,
        ...(failed ? { errors: errors.length } : {}),
        ...(this.warnings.length ? { warnings: this.warnings.length } : {}),
      });
    });
  }
}

interface FakeRule {
  conditions: { groupResource: string; namespaces?: string[]; resourceNameRegex?: string };
  mergePatches?: { patchData: string }[];
}

/** The merge-patch rules of a Restore's resourceModifier ConfigMap (the subset kdrill writes). */
function modifierRules(k: FakeKube, r: KubeObject): FakeRule[] {
  const ref = r.spec?.resourceModifier as { name?: string } | undefined;
  if (!ref?.name) return [];
  const cm = k.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'velero', name: ref.name });
  const text = Object.values((cm?.data ?? {}) as Record<string, string>)[0];
  return text ? ((parse(text) as { resourceModifierRules: FakeRule[] }).resourceModifierRules ?? []) : [];
}

function merge(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [key, v] of Object.entries(patch)) {
    if (v === null) delete out[key];
    else out[key] = merge(out[key], v);
  }
  return out;
}

function applyRules(rules: FakeRule[], gr: string, o: KubeObject): KubeObject {
  let out = o;
  for (const rule of rules) {
    const c = rule.conditions;
    if (c.groupResource !== gr) continue;
    if (c.namespaces?.length && !c.namespaces.includes(o.metadata?.namespace ?? '')) continue;
    if (c.resourceNameRegex && !new RegExp(c.resourceNameRegex).test(o.metadata?.name ?? '')) continue;
    for (const p of rule.mergePatches ?? []) out = merge(out, JSON.parse(p.patchData)) as KubeObject;
  }
  return out;
}
