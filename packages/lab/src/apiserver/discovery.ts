import { groupVersion, type ResourceRegistry, type ResourceType } from './resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** An APIService served by another server (spec.service set): a group-version the lab aggregates. */
export interface Aggregated {
  group: string;
  version: string;
}

/** What a real kube-apiserver answers for an aggregated group-version whose backend does not answer. */
export class AggregatedUnavailable extends Error {}

/**
 * Discovery documents: /api, /api/v1, /apis, /apis/G, /apis/G/V. Returns undefined when the path is
 * not a discovery path, null for an unknown group or version (a 404). An aggregated group-version
 * (an APIService with a Service) is listed under /apis, and its own document throws
 * AggregatedUnavailable: the lab proxies to no backend, as a cluster whose metrics-server is down.
 */
export function discovery(
  reg: ResourceRegistry,
  path: string,
  aggregated: Aggregated[] = [],
): object | null | undefined {
  if (path === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
    };
  }
  if (path === '/api/v1') return resourceList(reg, '', 'v1');
  const groups = withAggregated(reg.groups(), aggregated);
  if (path === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupDoc) };
  }
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  if (m[2] !== undefined && aggregated.some((a) => a.group === m[1] && a.version === m[2]))
    throw new AggregatedUnavailable(`${m[1]}/${m[2]}`);
  const g = groups.find((x) => x.name === m[1]);
  if (!g) return null;
  if (m[2] === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) };
  if (!g.versions.includes(m[2])) return null;
  return resourceList(reg, m[1]!, m[2]);
}

function withAggregated(
  groups: { name: string; versions: string[] }[],
  aggregated: Aggregated[],
): { name: string; versions: string[] }[] {
  const out = groups.map((g) => ({ ...g, versions: [...g.versions] }));
  for (const a of aggregated) {
    const g = out.find((x) => x.name === a.group);
    if (!g) out.push({ name: a.group, versions: [a.version] });
    else if (!g.versions.includes(a.version)) g.versions.push(a.version);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function groupDoc(g: { name: string; versions: string[] }): object {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

function resourceList(reg: ResourceRegistry, group: string, version: string): object {
  const types = reg.all().filter((t) => t.group === group && t.version === version);
  const resources: object[] = [];
  for (const t of types.sort((a, b) => a.resource.localeCompare(b.resource))) {
    resources.push(entry(t));
    if (t.statusSubresource)
      resources.push({
        name: `${t.resource}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      });
    if (!group && t.resource === 'pods')
      resources.push({ name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
    if (!group && t.resource === 'namespaces')
      resources.push({
        name: 'namespaces/finalize',
        singularName: '',
        namespaced: false,
        kind: 'Namespace',
        verbs: ['update'],
      });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}

function entry(t: ResourceType): object {
  return {
    name: t.resource,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: VERBS,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
  };
}
