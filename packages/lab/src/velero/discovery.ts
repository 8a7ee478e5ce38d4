import type { KubeApi, ServedResource } from '../core.js';
import { groupResource } from './layout.js';

// what Velero's discovery helper keeps of discovery (filterByVerbs, pkg/discovery/helper.go)
const VERBS = ['list', 'create', 'get', 'delete'];

/**
 * Names resolved to the served resource they mean, as Velero's discovery helper does
 * (pkg/discovery/helper.go ResourceFor: a short-name expander over a discovery REST mapper). `<res>`
 * or `<res>.<group>`: the resource may be a short name, the plural or the singular; an empty group
 * matches any group, the first in discovery order winning (the core group first).
 */
export class Discovery {
  private served: ServedResource[] = [];
  private readonly kube: KubeApi;

  private constructor(kube: KubeApi) {
    this.kube = kube;
  }

  static async load(kube: KubeApi): Promise<Discovery> {
    const d = new Discovery(kube);
    await d.refresh();
    return d;
  }

  /** Reads discovery again: what a restore does after creating CRDs. */
  async refresh(): Promise<void> {
    this.served = (await this.kube.resources()).filter((r) => VERBS.every((v) => r.verbs.includes(v)));
  }

  resolve(name: string): ServedResource | undefined {
    const dot = name.indexOf('.');
    let resource = dot < 0 ? name : name.slice(0, dot);
    const group = dot < 0 ? '' : name.slice(dot + 1);
    const inGroup = (r: ServedResource): boolean => !group || r.group === group;
    // short names first, case as given; with a group, then a group prefix ("autoscal" → "autoscaling")
    const short =
      this.served.find((r) => inGroup(r) && r.shortNames?.includes(resource)) ??
      (group ? this.served.find((r) => r.group.startsWith(group) && r.shortNames?.includes(resource)) : undefined);
    if (short) resource = short.resource;
    resource = resource.toLowerCase();
    return this.served.find(
      (r) => inGroup(r) && (r.resource === resource || (r.singular ?? r.kind.toLowerCase()) === resource),
    );
  }

  /** `<plural>.<group>` of what the name means, or the name as it is when nothing is served by it. */
  groupResource(name: string): string {
    const r = this.resolve(name);
    return r ? groupResource(r.group, r.resource) : name;
  }

  /** Whether the resource is namespaced; undefined when it is not served. */
  namespaced(gr: string): boolean | undefined {
    return this.resolve(gr)?.namespaced;
  }
}
