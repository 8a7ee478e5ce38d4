import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DrillError, ExitCode, isKubeApiError, systemClock } from './core.js';
import type { Clock, KubeApi, KubeObject, ServedResource } from './core.js';
import { pollUntil } from './poll.js';
import { untilNotTerminating } from './namespace-ready.js';

export interface Manifest {
  file: string;
  obj: KubeObject;
}

/** Reads every manifest in a file or a directory (*.yaml, *.yml, *.json), in name order; `*List` kinds are expanded. */
export async function readManifests(path: string): Promise<Manifest[]> {
  let files: string[];
  try {
    files = (await stat(path)).isDirectory()
      ? (await readdir(path))
          .filter((f) => /\.(ya?ml|json)$/.test(f))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (e) {
    throw new DrillError(
      'APP_NOT_FOUND',
      `cannot read manifests at ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      ExitCode.Usage,
      { hint: '--app takes a YAML file or a directory of them' },
    );
  }
  const out: Manifest[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length)
        throw new DrillError('APP_INVALID', `${file}: ${doc.errors[0]!.message}`, ExitCode.Usage, {
          hint: 'fix the YAML, or leave the file out',
        });
      const obj = doc.toJS({ maxAliasCount: 100 }) as KubeObject | null;
      if (obj) out.push(...expand(file, obj));
    }
  }
  return out;
}

/** `v1 List`, `RoleList`, `ConfigMapList`, …: kubectl applies their items one by one. */
function expand(file: string, obj: KubeObject): Manifest[] {
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items))
    return (obj.items as KubeObject[]).flatMap((it) => expand(file, it));
  return [{ file, obj }];
}

/** What applying a set of manifests did, per kind (`apps/v1 Deployment`). */
export interface ApplyReport {
  applied: Record<string, number>;
  /** Kinds the cluster does not serve, with the true reason. */
  skipped: { kind: string; count: number; reason: string }[];
  /** Objects the cluster refused at admission (a hardened cluster: no NetworkPolicy selects their pods). */
  refused: { object: string; reason: string }[];
  /** Admission warnings (a hardened cluster in warn mode): admitted, and told. */
  warnings: { object: string; warning: string }[];
  /** The namespaces the objects live in. */
  namespaces: string[];
}

// API groups that Kubernetes itself serves: an unknown kind there is a version matter, not a missing CRD
const BUILT_IN = /^(|apps|batch|policy|autoscaling|extensions|[a-z.]*\.k8s\.io)$/;

function whyUnserved(apiVersion: string, kind: string, served: ServedResource[], serverVersion: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const same = served.filter((r) => r.group === group && r.kind === kind);
  if (same.length)
    return `not served by this Kubernetes version (${serverVersion}) at ${apiVersion}: it serves ${[...new Set(same.map((r) => r.apiVersion))].join(', ')}`;
  if (BUILT_IN.test(group)) return `not served by this Kubernetes version (${serverVersion})`;
  if (served.some((r) => r.group === group))
    return `the CRDs of ${group} that are installed do not define ${kind} at ${apiVersion}`;
  return `no CRD for ${group} is installed (add its CustomResourceDefinition to --app, or install it first)`;
}

const kindKey = (o: KubeObject): string => `${o.apiVersion} ${o.kind}`;
const describe = (o: KubeObject, ns: string | undefined): string =>
  `${o.kind} ${ns ? `${ns}/` : ''}${o.metadata?.name ?? ''}`;

/** Waits until each CRD is Established and its kind is served: its custom resources come next. */
async function established(kube: KubeApi, crds: KubeObject[], timeoutMs: number, clock: Clock): Promise<void> {
  // one deadline for them all, as they were created together
  const deadline = clock.now().getTime() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    const group = String(crd.spec?.group ?? '');
    const version = String(
      ((crd.spec?.versions as { name: string; served?: boolean }[] | undefined) ?? []).find((v) => v.served !== false)
        ?.name ?? '',
    );
    const kind = String(crd.spec?.names?.kind ?? '');
    const ready = async (): Promise<boolean> => {
      const cur = await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
      const ok = ((cur?.status?.conditions as { type: string; status: string }[] | undefined) ?? []).some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      return ok && (await kube.serves({ apiVersion: `${group}/${version}`, kind }));
    };
    await pollUntil(clock, ready, {
      timeoutMs: deadline - clock.now().getTime(),
      everyMs: 100,
      timedOut: () =>
        new DrillError(
          'APP_CRD_NOT_ESTABLISHED',
          `CustomResourceDefinition ${name} was not Established within ${Math.round(timeoutMs / 1000)}s`,
          ExitCode.Precondition,
          { hint: `kubectl get crd ${name} -o yaml shows its conditions` },
        ),
    });
  }
}

export interface ApplyOptions {
  defaultNamespace: string;
  crdTimeoutMs?: number;
  labels?: Record<string, string>;
  /** The wait for CRDs to be Established reads it (systemClock by default). */
  clock?: Clock;
}

// Namespaces, CRDs, then NetworkPolicies before any workload (Helm's install order does the same), so that a
// hardened cluster refuses exactly the workloads no policy of the app selects, not those listed before it
const rank = (m: Manifest): number =>
  m.obj.kind === 'Namespace'
    ? 0
    : m.obj.kind === 'CustomResourceDefinition'
      ? 1
      : m.obj.kind === 'NetworkPolicy'
        ? 2
        : 3;

/**
 * Applies manifests as `kubectl apply -n <defaultNamespace>` would: each object in its own namespace
 * (created when missing), namespace-less ones in `defaultNamespace`; Namespaces first, then CRDs,
 * waited for until Established, then NetworkPolicies, then everything else in file order. An existing object is merged
 * into. A kind the cluster does not serve is skipped with the reason; an admission refusal is
 * reported with the object's name, as the cluster would refuse it. Any other refusal fails.
 * `labels` go on every object (the lab's own label, so `lab gc` finds what it made).
 */
export async function applyManifests(kube: KubeApi, manifests: Manifest[], o: ApplyOptions): Promise<ApplyReport> {
  const run = new ApplyRun(kube, o, await kube.resources(), (await kube.serverVersion()).gitVersion);
  // stable: file order within each rank
  for (const m of [...manifests].sort((a, b) => rank(a) - rank(b))) await run.apply(m);
  return run.finish();
}

/** One applyManifests: what it applied, skipped and had refused so far, and the CRDs still to wait for. */
class ApplyRun {
  private readonly report: ApplyReport = { applied: {}, skipped: [], refused: [], warnings: [], namespaces: [] };
  private readonly failures: string[] = [];
  private readonly unserved = new Map<string, { count: number; reason: string }>();
  private readonly namespaces = new Set<string>();
  private crdsPending: KubeObject[] = [];
  private readonly kube: KubeApi;
  private readonly o: ApplyOptions;
  private served: ServedResource[];
  private readonly version: string;

  constructor(kube: KubeApi, o: ApplyOptions, served: ServedResource[], version: string) {
    this.kube = kube;
    this.o = o;
    this.served = served;
    this.version = version;
  }

  async apply({ file, obj }: Manifest): Promise<void> {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      this.failures.push(`${file}: an object without apiVersion, kind or metadata.name`);
      return;
    }
    if (rank({ file, obj }) >= 2 && this.crdsPending.length) {
      await this.waitForCrds();
      this.served = await this.kube.resources();
    }
    const type = this.served.find((r) => r.apiVersion === obj.apiVersion && r.kind === obj.kind);
    if (!type) {
      const u = this.unserved.get(kindKey(obj)) ?? {
        count: 0,
        reason: whyUnserved(obj.apiVersion, obj.kind, this.served, this.version),
      };
      u.count++;
      this.unserved.set(kindKey(obj), u);
      return;
    }
    const ns = type.namespaced ? (obj.metadata.namespace ?? this.o.defaultNamespace) : undefined;
    if (ns) {
      // once per namespace and run, not once per object: it stays made
      if (!this.namespaces.has(ns)) await ensureNamespace(this.kube, ns, this.o.clock ?? systemClock, this.o.labels);
      this.namespaces.add(ns);
    }
    await this.create(file, obj, ns);
  }

  private async create(file: string, obj: KubeObject, ns: string | undefined): Promise<void> {
    const { status: _s, ...rest } = obj;
    const body: KubeObject = {
      ...rest,
      metadata: {
        ...obj.metadata,
        ...(ns ? { namespace: ns } : { namespace: undefined }),
        ...(this.o.labels ? { labels: { ...obj.metadata?.labels, ...this.o.labels } } : {}),
      },
    };
    if (!ns) delete body.metadata!.namespace;
    const what = describe(obj, ns);
    if (obj.kind === 'Namespace')
      await untilNotTerminating(this.kube, obj.metadata!.name!, this.o.clock ?? systemClock);
    try {
      await createOrMerge(this.kube, body);
      this.report.applied[kindKey(obj)] = (this.report.applied[kindKey(obj)] ?? 0) + 1;
      for (const w of this.kube.takeWarnings?.() ?? []) this.report.warnings.push({ object: what, warning: w });
      if (obj.kind === 'CustomResourceDefinition') this.crdsPending.push(body);
    } catch (e) {
      if (isKubeApiError(e, 403) && /admission webhook|denied the request/.test((e as Error).message))
        this.report.refused.push({ object: what, reason: (e as Error).message.replace(/^cannot create [^:]+: /, '') });
      else this.failures.push(`${file}: ${what}: ${(e as Error).message}`);
    }
  }

  private async waitForCrds(): Promise<void> {
    await established(this.kube, this.crdsPending, this.o.crdTimeoutMs ?? 60_000, this.o.clock ?? systemClock);
    this.crdsPending = [];
  }

  async finish(): Promise<ApplyReport> {
    if (this.crdsPending.length) await this.waitForCrds();
    for (const [kind, u] of this.unserved) this.report.skipped.push({ kind, count: u.count, reason: u.reason });
    this.report.namespaces = [...this.namespaces].sort();
    const f = this.failures;
    if (f.length) {
      throw new DrillError(
        'APP_APPLY_FAILED',
        `${f.length} object(s) of the app could not be applied: ${f.slice(0, 3).join('; ')}${f.length > 3 ? `; and ${f.length - 3} more` : ''}`,
        ExitCode.Precondition,
        { hint: refusalHint(f, this.version) },
      );
    }
    return this.report;
  }
}

/**
 * A field this Kubernetes does not know is dropped before validation, so an old server names the symptom
 * ("must specify a handler type" for a probe whose only handler is grpc, served from v1.24 on), not the cause.
 */
function refusalHint(failures: string[], serverVersion: string): string {
  const minor = Number(/^v1\.(\d+)/.exec(serverVersion)?.[1] ?? 99);
  if (minor < 24 && failures.some((x) => x.includes('Probe: Required value: must specify a handler type')))
    return `this cluster runs Kubernetes ${serverVersion}, which does not know grpc probes (served from v1.24): these manifests need a newer cluster`;
  return 'the cluster refused them as a real one would; fix the manifests, or leave those files out';
}

/** A namespace the manifests use but do not create: made as needed, as `kubectl create namespace` would. */
async function ensureNamespace(
  kube: KubeApi,
  ns: string,
  clock: Clock,
  labels?: Record<string, string>,
): Promise<void> {
  // the namespace an earlier drill or lab deleted may still be going: content created now would be refused
  if (await untilNotTerminating(kube, ns, clock)) return;
  try {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, ...(labels ? { labels } : {}) } });
  } catch (e) {
    if (!isKubeApiError(e, 409)) throw e;
  }
}

async function createOrMerge(kube: KubeApi, body: KubeObject): Promise<void> {
  try {
    await kube.create(body);
  } catch (e) {
    if (!isKubeApiError(e, 409)) throw e;
    // as kubectl apply: the manifest's fields win, the rest of the live object stays
    const { apiVersion, kind, metadata, ...fields } = body;
    await kube.patch(
      { apiVersion: apiVersion!, kind: kind!, namespace: metadata?.namespace, name: metadata?.name ?? '' },
      { metadata: { labels: metadata?.labels, annotations: metadata?.annotations }, ...fields },
    );
  }
}

/** The summary a person reads after `lab up --app`: per kind, what was applied and what was skipped, and why. */
export function summarize(r: ApplyReport): string[] {
  const lines = Object.entries(r.applied)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `applied ${n} ${k}`);
  for (const s of r.skipped) lines.push(`skipped ${s.count} ${s.kind}: ${s.reason}`);
  for (const x of r.refused) lines.push(`refused ${x.object}: ${x.reason}`);
  for (const x of r.warnings) lines.push(`warning for ${x.object}: ${x.warning}`);
  return lines;
}
