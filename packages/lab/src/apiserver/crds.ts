import type { KubeObject } from '../core.js';
import type { ResourceType } from './resources.js';
import { applySchema, type Schema } from './schema.js';
import { invalid } from './status.js';
import { k8sTime } from '../core.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: object; scale?: object };
}

/** The resource types a CustomResourceDefinition serves, each validating against its own schema. */
export function typesForCrd(crd: KubeObject): ResourceType[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const crdName = crd.metadata?.name ?? '';
  const problems: { field: string; message: string }[] = [];
  if (!spec.group) problems.push({ field: 'spec.group', message: 'Required value' });
  if (!names.plural) problems.push({ field: 'spec.names.plural', message: 'Required value' });
  if (!names.kind) problems.push({ field: 'spec.names.kind', message: 'Required value' });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    problems.push({ field: 'spec.scope', message: 'Unsupported value: supported values: "Cluster", "Namespaced"' });
  if (!Array.isArray(spec.versions) || spec.versions.length === 0)
    problems.push({ field: 'spec.versions', message: 'Required value' });
  if (names.plural && spec.group && crdName !== `${names.plural}.${spec.group}`) {
    problems.push({
      field: 'metadata.name',
      message: `Invalid value: "${crdName}": must be spec.names.plural+"."+spec.group`,
    });
  }
  if (problems.length) throw invalid('CustomResourceDefinition', crdName, problems);

  return (spec.versions as CrdVersion[])
    .filter((v) => v.served !== false)
    .map((v) => {
      const schema = v.schema?.openAPIV3Schema;
      return {
        group: spec.group as string,
        version: v.name,
        resource: names.plural as string,
        kind: names.kind as string,
        listKind: (names.listKind as string | undefined) ?? `${names.kind}List`,
        singular: (names.singular as string | undefined) ?? String(names.kind).toLowerCase(),
        namespaced: spec.scope === 'Namespaced',
        shortNames: names.shortNames as string[] | undefined,
        categories: names.categories as string[] | undefined,
        statusSubresource: v.subresources?.status !== undefined,
        tracksGeneration: true,
        crd: crdName,
        validate: schema
          ? (obj: KubeObject): KubeObject => {
              const { value, causes } = applySchema(schema, obj);
              if (causes.length) throw invalid(String(names.kind), obj.metadata?.name ?? '', causes);
              return value;
            }
          : undefined,
      } satisfies ResourceType;
    });
}

/** The status a real apiserver gives an accepted CRD. */
export function establishedStatus(crd: KubeObject, at: Date): Record<string, unknown> {
  const now = k8sTime(at);
  const names = crd.spec?.names ?? {};
  return {
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? String(names.kind ?? '').toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
    },
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        reason: 'NoConflicts',
        message: 'no conflicts found',
        lastTransitionTime: now,
      },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: now,
      },
    ],
    storedVersions: (crd.spec?.versions as CrdVersion[] | undefined)?.filter((v) => v.storage).map((v) => v.name) ?? [],
  };
}
