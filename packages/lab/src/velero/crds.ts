import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { assetsDir, systemClock } from '../core.js';
import type { Clock, KubeApi } from '../core.js';
import { pollUntil } from '../poll.js';
import type { KubeObject } from '../core.js';
import { transformCrds } from './crd-transforms.js';
import { veleroRelease, type VeleroVersion } from './versions.js';

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

/** Velero's published CRDs (v1.18, as shipped in assets/crds/velero). */
async function shippedCrds(): Promise<KubeObject[]> {
  const dir = join(assetsDir(), 'crds', 'velero');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const out: KubeObject[] = [];
  for (const f of files)
    for (const d of parseAllDocuments(await readFile(join(dir, f), 'utf8'))) out.push(d.toJSON() as KubeObject);
  return out;
}

/** A release's CRDs: the shipped ones, changed by that release's transforms (crd-transforms.ts). */
export async function veleroCrds(version?: VeleroVersion): Promise<KubeObject[]> {
  return transformCrds(await shippedCrds(), veleroRelease(version).crdTransforms);
}

/**
 * Kubernetes before 1.21 rejects `default: ""` on string fields of a CRD schema (it sees null);
 * Velero's CRDs have two. Dropping those defaults changes nothing Velero relies on.
 */
export function adaptCrdForServer(crd: KubeObject, minor: number): KubeObject {
  if (minor >= 21) return crd;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (!(k === 'default' && val === '')) out[k] = strip(val);
    return out;
  };
  return strip(crd) as KubeObject;
}

const schemaOf = (crd: KubeObject | undefined): string =>
  JSON.stringify(((crd?.spec?.versions ?? []) as { name: string; schema?: unknown }[]).map((v) => [v.name, v.schema]));
const GENERATOR = 'controller-gen.kubebuilder.io/version';

/**
 * Installs a release's CRDs and waits until the server serves them. A CRD of another release is
 * replaced, as upgrading Velero applies the new CRDs (`velero install --crds-only --dry-run -o yaml |
 * kubectl apply -f -`); `velero install` itself would leave it.
 */
export async function installVeleroCrds(
  kube: KubeApi,
  version?: VeleroVersion,
  clock: Clock = systemClock,
): Promise<void> {
  const minor = Number.parseInt((await kube.serverVersion()).minor, 10) || 99;
  for (const crd of await veleroCrds(version)) {
    const want = adaptCrdForServer(crd, minor);
    const have = await kube.get({ ...CRD, name: crd.metadata?.name ?? '' });
    if (!have) await kube.create(want);
    else if (
      have.metadata?.annotations?.[GENERATOR] !== want.metadata?.annotations?.[GENERATOR] ||
      schemaOf(have) !== schemaOf(want)
    ) {
      await kube.replace({ ...want, metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion } });
    }
  }
  for (const kind of [
    'Backup',
    'Restore',
    'BackupStorageLocation',
    'Schedule',
    'DownloadRequest',
    'DeleteBackupRequest',
  ]) {
    await pollUntil(clock, () => kube.serves({ apiVersion: 'velero.io/v1', kind }), {
      timeoutMs: 30_000,
      everyMs: 100,
      timedOut: () => new Error(`the server did not start serving velero.io/v1 ${kind}`),
    });
  }
}
