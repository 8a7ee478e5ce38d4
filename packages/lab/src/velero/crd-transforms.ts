import type { KubeObject } from '../core.js';

/**
 * One way an older release's CRDs differ from the v1.18 ones shipped in assets/crds/velero. Paths walk
 * `properties` of the openAPIV3Schema. Each transform must find what it changes: a newer asset set that
 * no longer has it should fail loudly rather than install a CRD no release ever had.
 */
export type CrdTransform =
  | { op: 'annotate'; key: string; value: string }
  | { op: 'drop-property'; crd: string; path: string[] }
  | { op: 'drop-enum-values'; crd: string; path: string[]; values: string[] }
  | { op: 'drop-default'; crd: string; path: string[] }
  | { op: 'drop-schema-key'; key: string };

/**
 * v1.18.1 → v1.14.1, from comparing the two tags' config/crd/v1/bases: what v1.14.1 lacks. Field
 * descriptions also differ (v1.18 deprecates caCert in words, for one); they are left as they are.
 */
export const V114_CRD_TRANSFORMS: readonly CrdTransform[] = [
  // v1.14.1 was generated with controller-gen v0.14.0
  { op: 'annotate', key: 'controller-gen.kubebuilder.io/version', value: 'v0.14.0' },
  // newer controller-gen marks label-selector lists atomic
  { op: 'drop-schema-key', key: 'x-kubernetes-list-type' },
  // the backup queue (Queued, ReadyToStart, queuePosition) came after v1.14
  { op: 'drop-enum-values', crd: 'backups.velero.io', path: ['status', 'phase'], values: ['Queued', 'ReadyToStart'] },
  { op: 'drop-property', crd: 'backups.velero.io', path: ['status', 'queuePosition'] },
  // volume group snapshots came after v1.14
  { op: 'drop-property', crd: 'backups.velero.io', path: ['spec', 'volumeGroupSnapshotLabelKey'] },
  { op: 'drop-property', crd: 'schedules.velero.io', path: ['spec', 'template', 'volumeGroupSnapshotLabelKey'] },
  // caCertRef (a CA bundle in a Secret) came after v1.14
  { op: 'drop-property', crd: 'backupstoragelocations.velero.io', path: ['spec', 'objectStorage', 'caCertRef'] },
  // newer Kubernetes API types default a SecretKeySelector's name to ""
  { op: 'drop-default', crd: 'backupstoragelocations.velero.io', path: ['spec', 'credential', 'name'] },
];

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; enum?: unknown[] };

function schemas(crd: KubeObject): Schema[] {
  const versions = (crd.spec?.versions ?? []) as { schema?: { openAPIV3Schema?: Schema } }[];
  return versions.map((v) => v.schema?.openAPIV3Schema).filter((s): s is Schema => s !== undefined);
}

function at(root: Schema, path: string[], crd: string): { parent: Schema; key: string; node: Schema } {
  let parent = root;
  for (const [i, seg] of path.entries()) {
    const node = parent.properties?.[seg];
    if (!node) throw new Error(`CRD ${crd} has no ${path.slice(0, i + 1).join('.')}: the transform is out of date`);
    if (i === path.length - 1) return { parent, key: seg, node };
    parent = node;
  }
  throw new Error(`empty path in a transform of CRD ${crd}`);
}

function dropKeyEverywhere(v: unknown, key: string): { value: unknown; found: boolean } {
  if (Array.isArray(v)) {
    let found = false;
    const value = v.map((x) => {
      const r = dropKeyEverywhere(x, key);
      found ||= r.found;
      return r.value;
    });
    return { value, found };
  }
  if (typeof v !== 'object' || v === null) return { value: v, found: false };
  let found = false;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === key) {
      found = true;
      continue;
    }
    const r = dropKeyEverywhere(val, key);
    found ||= r.found;
    out[k] = r.value;
  }
  return { value: out, found };
}

/** Applies the transforms to a copy of the CRDs; throws when one no longer applies. */
export function transformCrds(crds: KubeObject[], transforms: readonly CrdTransform[]): KubeObject[] {
  let out = structuredClone(crds);
  for (const t of transforms) {
    switch (t.op) {
      case 'annotate':
        for (const c of out)
          c.metadata = { ...c.metadata, annotations: { ...(c.metadata?.annotations ?? {}), [t.key]: t.value } };
        break;
      case 'drop-schema-key': {
        let any = false;
        out = out.map((c) => {
          const r = dropKeyEverywhere(c.spec, t.key);
          any ||= r.found;
          return { ...c, spec: r.value as KubeObject['spec'] };
        });
        if (!any) throw new Error(`no CRD schema has ${t.key}: the transform is out of date`);
        break;
      }
      case 'drop-property':
      case 'drop-enum-values':
      case 'drop-default': {
        const crd = out.find((c) => c.metadata?.name === t.crd);
        if (!crd) throw new Error(`no CRD ${t.crd}: the transform is out of date`);
        for (const s of schemas(crd)) {
          const { parent, key, node } = at(s, t.path, t.crd);
          if (t.op === 'drop-property') delete parent.properties![key];
          else if (t.op === 'drop-default') {
            if (!('default' in node))
              throw new Error(`CRD ${t.crd} ${t.path.join('.')} has no default: the transform is out of date`);
            delete node.default;
          } else {
            const missing = t.values.filter((v) => !node.enum?.includes(v));
            if (missing.length)
              throw new Error(
                `CRD ${t.crd} ${t.path.join('.')} has no enum values ${missing.join(', ')}: the transform is out of date`,
              );
            node.enum = node.enum!.filter((v) => !t.values.includes(v as string));
          }
        }
        break;
      }
    }
  }
  return out;
}
