import { isKubeApiError } from '../core.js';
import type { Clock, KubeApi, KubeObject } from '../core.js';
import { shouldInclude, type IncludesExcludes } from './filters.js';
import { restoreLabels } from './labels.js';
import { addResult, countResults, emptyResults, mergeResults, type ResultSet } from './layout.js';
import { itemPath, type BackupArchive } from './restore-archive.js';
import {
  resetMetadataAndStatus,
  resetVolumeBindingInfo,
  runRestoreItemActions,
  type AdditionalItem,
} from './restore-actions.js';
import { alreadyExistsWarning, type VeleroRelease } from './versions.js';
import { existingOutcome } from './restore-existing.js';
import { applyModifiers, type ResourceModifiers } from './resource-modifiers.js';

// JSON of many shapes, as the core types spec and status; the code narrows what it reads
type Json = Record<string, KubeObject['spec']>;

export type ItemAction = 'created' | 'updated' | 'skipped' | 'failed';

export interface ItemRestorerOptions {
  kube: KubeApi;
  /** Deadlines, polls and the pause between items go through it. */
  clock: Clock;
  release: VeleroRelease;
  archive: BackupArchive;
  restore: KubeObject;
  backupName: string;
  resources: IncludesExcludes;
  namespaces: IncludesExcludes;
  /** Where the tarball would have been extracted: Velero's warnings name its files there. */
  extractDir: string;
  /** Velero's --resource-timeout: how long a restored CRD may take to be ready. */
  resourceTimeoutMs: number;
  /** Velero's --terminating-resource-timeout: how long to wait for a terminating namespace to go. */
  terminatingTimeoutMs: number;
  pollMs: number;
  itemDelayMs?: number;
  modifiers?: ResourceModifiers;
}

/**
 * restoreItem and its namespace handling, as pkg/restore/restore.go does them: filters checked again
 * (additional items come here too), the item's namespace ensured from its backed-up Namespace, completed
 * Pods and Jobs left out, the restore item actions run and their additional items restored first, the
 * restore labels added, the item created, an existing one compared, a created CRD waited for.
 */
export class ItemRestorer {
  readonly warnings = emptyResults();
  readonly errors = emptyResults();
  /** itemKey (`<apiVersion>/<Kind>|<ns>|<name>`) → what happened to it: the restore resource list. */
  readonly items = new Map<string, { action?: ItemAction; exists: boolean }>();
  private readonly pvsToProvision = new Set<string>();
  private readonly o: ItemRestorerOptions;
  private readonly spec: Json;
  private readonly mustHave: Set<string>;

  constructor(o: ItemRestorerOptions) {
    this.o = o;
    this.spec = (o.restore.spec ?? {}) as Json;
    this.mustHave = new Set(o.release.restoreMustHave);
  }

  isMustHave(gr: string): boolean {
    return this.mustHave.has(gr);
  }

  /** Whether anything was created or updated: a reason to read discovery again after the CRDs. */
  changedAnything(): boolean {
    return [...this.items.values()].some((i) => i.action === 'created' || i.action === 'updated');
  }

  /**
   * EnsureNamespaceExistsAndIsReady with getNamespace's object: the backed-up labels, annotations and spec
   * under the target name. An existing namespace is left as it is; a terminating one is waited for.
   * Never through restoreItem: no restore labels, no item actions. False when it failed (a Velero error).
   */
  async ensureNamespace(original: string, target: string): Promise<boolean> {
    let backedUp: KubeObject | undefined;
    try {
      backedUp = this.o.archive.read('namespaces', '', original);
    } catch {
      backedUp = undefined; // Velero creates a bare one when the backed-up one does not parse
    }
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: target };
    const deadline = this.o.clock.now().getTime() + this.o.terminatingTimeoutMs;
    try {
      for (;;) {
        const have = await this.o.kube.get(ref);
        if (!have) break;
        if (!have.metadata?.deletionTimestamp && have.status?.phase !== 'Terminating') return true;
        if (this.o.clock.now().getTime() >= deadline) throw new Error('context deadline exceeded');
        await this.o.clock.sleep(this.o.pollMs);
      }
    } catch (e) {
      this.errors.velero.push(`error getting namespace ${target}: ${(e as Error).message}`);
      return false;
    }
    const metadata = {
      name: target,
      ...(backedUp?.metadata?.labels ? { labels: backedUp.metadata.labels } : {}),
      ...(backedUp?.metadata?.annotations ? { annotations: backedUp.metadata.annotations } : {}),
    };
    try {
      await this.o.kube.create({ ...ref, metadata, ...(backedUp?.spec ? { spec: backedUp.spec } : {}) });
      this.items.set(`v1/Namespace||${target}`, { action: 'created', exists: true });
    } catch (e) {
      if (isKubeApiError(e, 409)) return true;
      this.errors.velero.push(`error creating namespace ${target}: ${(e as Error).message}`);
      return false;
    }
    return true;
  }

  /** Restores one item into `ns` (its target namespace, '' for cluster-scoped). Returns whether it exists now. */
  async restoreItem(obj: KubeObject, gr: string, ns: string): Promise<boolean> {
    const w = emptyResults();
    const e = emptyResults();
    try {
      return await this.restoreOne(obj, gr, ns, w, e);
    } finally {
      mergeResults(this.warnings, w);
      mergeResults(this.errors, e);
    }
  }

  private async restoreOne(obj: KubeObject, gr: string, ns: string, w: ResultSet, e: ResultSet): Promise<boolean> {
    const name = obj.metadata?.name ?? '';
    const id = `${gr}/${ns ? `${ns}/` : ''}${name}`;
    if (!shouldInclude(this.o.resources, gr) && !this.isMustHave(gr)) return false;
    if (ns) {
      if (!shouldInclude(this.o.namespaces, obj.metadata?.namespace ?? '') && !this.isMustHave(gr)) return false;
      if (!(await this.ensureNamespace(obj.metadata?.namespace ?? '', ns))) return false;
    } else if (this.spec.includeClusterResources === false) return false;

    // completed Pods and Jobs are not restored, and not listed (isCompleted)
    if (gr === 'pods' && ['Succeeded', 'Failed'].includes(String(obj.status?.phase))) return false;
    if (gr === 'jobs.batch' && obj.status?.completionTime) return false;

    const key = `${obj.apiVersion}/${obj.kind}|${ns}|${name}`;
    const seen = this.items.get(key);
    if (seen) return seen.exists;
    const status: { action?: ItemAction; exists: boolean } = { exists: false };
    this.items.set(key, status);
    try {
      return await this.restoreRegistered(obj, gr, ns, id, w, e, status);
    } finally {
      // no action of its own: skipped when nothing went wrong, else failed
      status.action ??= countResults(w) + countResults(e) === 0 ? 'skipped' : 'failed';
    }
  }

  private async restoreRegistered(
    backedUp: KubeObject,
    gr: string,
    ns: string,
    id: string,
    w: ResultSet,
    e: ResultSet,
    status: { action?: ItemAction; exists: boolean },
  ): Promise<boolean> {
    const name = backedUp.metadata?.name ?? '';
    if (gr === 'pods' && backedUp.metadata?.annotations?.['kubernetes.io/config.mirror']) return false;
    const prepared = this.prepare(backedUp, gr, ns, id, e);
    if (!prepared) return false;
    await this.restoreAdditional(prepared.additional, ns, w, e);
    const obj = this.withRestoreLabels(this.modified(this.claimOfNewVolume(prepared.item, gr), gr, ns, e), ns);
    if (this.o.itemDelayMs) await this.o.clock.sleep(this.o.itemDelayMs);
    try {
      await this.o.kube.create(obj);
      status.action = 'created';
      status.exists = true;
    } catch (err) {
      if (!isKubeApiError(err, 409)) {
        addResult(e, ns, `error restoring ${id}: ${(err as Error).message.replace(/^cannot create [^:]+: /, '')}`);
        return false;
      }
      return this.alreadyThere(backedUp, obj, gr, ns, w, status);
    }
    if (gr === 'customresourcedefinitions.apiextensions.k8s.io') await this.waitForCrd(name, e);
    return true;
  }

  /**
   * The item as it is to be created: a PV's binding reset (a Delete one is provisioned anew instead,
   * undefined), metadata and status reset, the restore item actions run. Undefined when it is not restored.
   */
  private prepare(
    backedUp: KubeObject,
    gr: string,
    ns: string,
    id: string,
    e: ResultSet,
  ): ReturnType<typeof runRestoreItemActions> | undefined {
    let obj = backedUp;
    if (gr === 'persistentvolumes') {
      // no snapshot or pod volume backup in the lab: a Delete volume is provisioned anew, a Retain one restored as it was
      if (backedUp.spec?.persistentVolumeReclaimPolicy === 'Delete') {
        this.pvsToProvision.add(backedUp.metadata?.name ?? '');
        return undefined;
      }
      obj = resetVolumeBindingInfo(this.remapClaimRef(backedUp));
    }
    const item = resetMetadataAndStatus(obj);
    try {
      return runRestoreItemActions({
        gr,
        item,
        fromBackup: backedUp,
        restoreSpec: this.spec,
        pvcAnnotationsRemoved: this.o.release.pvcAnnotationsRemoved,
      });
    } catch (err) {
      addResult(e, ns, `error preparing ${id}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** The additional items the actions named, restored first; their warnings and errors are this item's too. */
  private async restoreAdditional(additional: AdditionalItem[], ns: string, w: ResultSet, e: ResultSet): Promise<void> {
    const mapping = (this.spec.namespaceMapping ?? {}) as Record<string, string>;
    for (const a of additional) {
      if (!this.o.archive.has(a.gr, a.ns, a.name)) {
        addResult(w, a.ns, `stat ${this.o.extractDir}/${itemPath(a.gr, a.ns, a.name)}: no such file or directory`);
        continue;
      }
      let extra: KubeObject | undefined;
      try {
        extra = this.o.archive.read(a.gr, a.ns, a.name);
      } catch (err) {
        const what = `${a.gr}/${a.ns ? `${a.ns}/` : ''}${a.name}`;
        addResult(e, ns, `error restoring additional item ${what}: ${(err as Error).message}`);
        continue;
      }
      if (!extra) continue;
      const [w2, e2] = [emptyResults(), emptyResults()];
      await this.restoreOne(extra, a.gr, a.ns ? (mapping[a.ns] ?? a.ns) : '', w2, e2);
      // as Velero merges them
      mergeResults(w, w2);
      mergeResults(e, e2);
    }
  }

  /** A claim's binding reset; when its volume is provisioned anew, the claim must not name the old one. */
  private claimOfNewVolume(obj: KubeObject, gr: string): KubeObject {
    if (gr !== 'persistentvolumeclaims' || !obj.spec?.volumeName) return obj;
    const reset = resetVolumeBindingInfo(obj);
    if (!this.pvsToProvision.has(reset.spec!.volumeName as string)) return reset;
    const { volumeName: _v, ...spec } = reset.spec as Record<string, unknown>;
    return { ...reset, spec };
  }

  /** The Restore's resource modifiers: after the item actions and the claim's reset, before the namespace is mapped (restore.go). */
  private modified(obj: KubeObject, gr: string, ns: string, e: ResultSet): KubeObject {
    if (!this.o.modifiers) return obj;
    const m = applyModifiers(this.o.modifiers, obj, gr);
    for (const err of m.errors) addResult(e, ns, err);
    return m.item;
  }

  /** In its target namespace ('' for cluster-scoped), with the restore's labels. */
  private withRestoreLabels(obj: KubeObject, ns: string): KubeObject {
    const out = {
      ...obj,
      metadata: {
        ...obj.metadata,
        ...(ns ? { namespace: ns } : {}),
        labels: {
          ...(obj.metadata?.labels ?? {}),
          ...restoreLabels(this.o.backupName, this.o.restore.metadata?.name ?? ''),
        },
      },
    };
    if (!ns) delete out.metadata.namespace;
    return out;
  }

  /** The item exists already: read back and compared (or updated, with policy update), as Velero does. */
  private async alreadyThere(
    backedUp: KubeObject,
    obj: KubeObject,
    gr: string,
    ns: string,
    w: ResultSet,
    status: { action?: ItemAction; exists: boolean },
  ): Promise<boolean> {
    const name = backedUp.metadata?.name ?? '';
    const found = await this.o.kube
      .get({ apiVersion: obj.apiVersion!, kind: obj.kind!, namespace: ns || undefined, name })
      .catch((x: Error) => x);
    if (found instanceof Error || !found) {
      addResult(
        w,
        ns,
        found instanceof Error ? found.message : `${obj.kind} ${name} already exists but could not be read back`,
      );
      return false;
    }
    status.exists = true;
    const policy = this.spec.existingResourcePolicy as string | undefined;
    const outcome = await existingOutcome(this.o.kube, gr, found, obj, policy);
    if (outcome.updated) status.action = 'updated';
    for (const m of outcome.warnings)
      addResult(w, ns, m === 'differs' ? alreadyExistsWarning(this.o.release, policy, String(backedUp.kind), name) : m);
    return true;
  }

  private remapClaimRef(pv: KubeObject): KubeObject {
    const claimNs = pv.spec?.claimRef?.namespace as string | undefined;
    const mapped = claimNs ? (this.spec.namespaceMapping as Record<string, string> | undefined)?.[claimNs] : undefined;
    return mapped ? { ...pv, spec: { ...pv.spec, claimRef: { ...pv.spec?.claimRef, namespace: mapped } } } : pv;
  }

  /** crdAvailable: polled until Established and NamesAccepted, up to the resource timeout. */
  private async waitForCrd(name: string, e: ResultSet): Promise<void> {
    const deadline = this.o.clock.now().getTime() + this.o.resourceTimeoutMs;
    const ready = (c: KubeObject | undefined): boolean =>
      ['Established', 'NamesAccepted'].every((t) =>
        (c?.status?.conditions as { type: string; status: string }[] | undefined)?.some(
          (x) => x.type === t && x.status === 'True',
        ),
      );
    try {
      for (;;) {
        if (
          ready(
            await this.o.kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }),
          )
        )
          return;
        if (this.o.clock.now().getTime() >= deadline) throw new Error('context deadline exceeded');
        await this.o.clock.sleep(this.o.pollMs);
      }
    } catch (err) {
      addResult(e, '', `error verifying the CRD ${name} is ready to use: ${(err as Error).message}`);
    }
  }
}
