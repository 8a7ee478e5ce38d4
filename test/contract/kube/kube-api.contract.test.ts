import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKubeApiError } from '../../../src/kube/errors.js';
import type { KubeApi, WatchEvent } from '../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { ZONE_LABEL, setNodeReady } from '../../../packages/lab/src/controllers/nodes.js';
import { installVeleroCrds } from '../../../packages/lab/src/velero/crds.js';
import { eventually } from '../../support/eventually.js';
import { HARDENED_LABEL, TARGETS, type KubeTarget } from './targets.js';
import { conformanceSuite } from './conformance.suite.js';
import { snapshotInventory } from '../../../src/verify/inventory.js';
import { connectKube } from '../../../src/kube/client-node.js';
import { realLabSuite } from './real-lab.suite.js';
import { realHygieneSuite } from './real-hygiene.suite.js';
import { lockRealCluster } from '../../support/real-cluster-lock.js';
import { veleroProofSuite } from './velero-proof.suite.js';

const run = promisify(execFile);
const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const NS = { apiVersion: 'v1', kind: 'Namespace' } as const;
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
const suffix = (): string => Math.random().toString(36).slice(2, 8);

function deployment(ns: string, name: string, labels: Record<string, string>, replicas = 1): KubeObject {
  return {
    ...DEPLOY,
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'registry.invalid/app:1' }] } },
    },
  };
}

async function newNamespace(kube: KubeApi, labels: Record<string, string> = {}): Promise<string> {
  const name = `ct-${suffix()}`;
  await kube.create({ ...NS, metadata: { name, labels } });
  return name;
}

for (const spec of TARGETS) {
  describe.skipIf(spec.skip !== undefined)(
    `KubeApi contract: ${spec.name}${spec.skip ? ` (skipped: ${spec.skip})` : ''}`,
    () => {
      let t: KubeTarget;
      let kube: KubeApi;
      const namespaces: string[] = [];
      const ns = async (labels?: Record<string, string>): Promise<string> => {
        const n = await newNamespace(kube, labels);
        namespaces.push(n);
        return n;
      };

      let unlock: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        if (spec.real) unlock = await lockRealCluster();
        t = await spec.start();
        kube = t.kube;
      }, 46 * 60_000);
      afterAll(async () => {
        for (const n of namespaces) await kube?.delete({ ...NS, name: n }).catch(() => undefined);
        await t?.stop();
        await unlock?.();
      });

      it('creates, reads, lists by label and field, patches and deletes', async () => {
        const n = await ns();
        const a = await kube.create({
          ...CM,
          metadata: { name: 'a', namespace: n, labels: { tier: 'x' } },
          data: { k: 'v' },
        });
        await kube.create({ ...CM, metadata: { name: 'b', namespace: n, labels: { tier: 'y' } } });
        expect(a.metadata?.uid).toBeTruthy();
        expect((await kube.get({ ...CM, namespace: n, name: 'a' }))?.data).toEqual({ k: 'v' });
        expect(
          (await kube.list(CM, { namespace: n, labelSelector: 'tier=x' })).items.map((o) => o.metadata?.name),
        ).toEqual(['a']);
        expect(
          (await kube.list(CM, { namespace: n, labelSelector: 'tier in (x,y)' })).items
            .map((o) => o.metadata?.name)
            .sort(),
        ).toEqual(['a', 'b']);
        expect(
          (await kube.list(CM, { namespace: n, fieldSelector: 'metadata.name=b' })).items.map((o) => o.metadata?.name),
        ).toEqual(['b']);
        const merged = await kube.patch({ ...CM, namespace: n, name: 'a' }, { data: { k2: 'v2' } }, 'merge');
        expect(merged.data).toEqual({ k: 'v', k2: 'v2' });
        const jp = await kube.patch({ ...CM, namespace: n, name: 'a' }, [{ op: 'remove', path: '/data/k' }], 'json');
        expect(jp.data).toEqual({ k2: 'v2' });
        expect(await kube.delete({ ...CM, namespace: n, name: 'a' })).toBe(true);
        expect(await kube.get({ ...CM, namespace: n, name: 'a' })).toBeUndefined();
        expect(await kube.delete({ ...CM, namespace: n, name: 'a' })).toBe(false);
      });

      it('discovers everything else when an aggregated API does not answer (an APIService whose Service is absent)', async () => {
        const warnings: string[] = [];
        const k = connectKube({ kubeconfig: t.kubeconfig, onWarning: (m) => warnings.push(m) });
        const api = { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', name: 'v1beta1.metrics.k8s.io' };
        await k.create({
          ...api,
          metadata: { name: api.name },
          spec: {
            group: 'metrics.k8s.io',
            version: 'v1beta1',
            service: { namespace: 'kube-system', name: 'kdrill-absent-metrics-server' },
            insecureSkipTLSVerify: true,
            groupPriorityMinimum: 100,
            versionPriority: 100,
          },
        });
        try {
          const n = await ns();
          await k.create({ ...CM, metadata: { name: 'kept', namespace: n }, data: { a: '1' } });
          // the aggregator may take a moment to mark it unavailable: until then its discovery is not asked for
          let served: Awaited<ReturnType<KubeApi['resources']>> = [];
          for (let i = 0; i < 50; i++) {
            served = await k.resources();
            if (warnings.length) break;
            await new Promise((r) => setTimeout(r, 200));
          }
          expect(served.some((r) => r.group === 'metrics.k8s.io')).toBe(false);
          expect(served.some((r) => r.kind === 'ConfigMap')).toBe(true);
          expect(warnings[0]).toMatch(
            /^couldn't get the resource list for metrics\.k8s\.io\/v1beta1 \(HTTP 503: .*\); kdrill goes on without it, as kubectl does$/,
          );
          expect((await snapshotInventory(k, [n])).map((i) => i.name)).toEqual(['kept']);
        } finally {
          await k.delete(api);
        }
      });

      it('refuses a stale update with 409 Conflict and a duplicate create with 409 AlreadyExists', async () => {
        const n = await ns();
        const v1 = await kube.create({ ...CM, metadata: { name: 'c', namespace: n }, data: { n: '1' } });
        await kube.replace({ ...v1, data: { n: '2' } });
        const stale = await kube.replace({ ...v1, data: { n: '3' } }).catch((e: unknown) => e);
        expect(isKubeApiError(stale, 409)).toBe(true);
        expect((stale as { reason: string }).reason).toBe('Conflict');
        const dup = await kube.create({ ...CM, metadata: { name: 'c', namespace: n } }).catch((e: unknown) => e);
        expect(isKubeApiError(dup, 409) && (dup as { reason: string }).reason).toBe('AlreadyExists');
        expect((await kube.get({ ...CM, namespace: n, name: 'c' }))?.data).toEqual({ n: '2' });
      });

      it('answers an unknown resource with a real 404 Status, through kubectl too', async () => {
        expect(await kube.serves({ apiVersion: 'example.invalid/v1', kind: 'Nothing' })).toBe(false);
        const err = await kube
          .get({ apiVersion: 'example.invalid/v1', kind: 'Nothing', name: 'x' })
          .catch((e: unknown) => e);
        expect((err as { code: string }).code).toBe('KUBE_UNKNOWN_KIND');
        const r = await run('kubectl', ['--kubeconfig', t.kubeconfig, 'get', '--raw', '/api/v1/nothings']).catch(
          (e: { stderr: string }) => e,
        );
        expect(r.stderr).toMatch(/NotFound|could not find the requested resource/);
      });

      it('streams ADDED, MODIFIED and DELETED in order', async () => {
        const n = await ns();
        const seen: string[] = [];
        const w = kube.watch(CM, { namespace: n, onEvent: (e) => seen.push(`${e.type} ${e.object.metadata?.name}`) });
        await w.ready;
        await kube.create({ ...CM, metadata: { name: 'w', namespace: n } });
        await kube.patch({ ...CM, namespace: n, name: 'w' }, { data: { a: '1' } });
        await kube.delete({ ...CM, namespace: n, name: 'w' });
        await eventually(() => seen.includes('DELETED w'), 'the DELETED event');
        w.stop();
        expect(seen.filter((s) => s.endsWith(' w'))).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
      });

      it('resumes after a 410 Gone by listing again, losing nothing', async () => {
        const n = await ns();
        const before = await kube.create({ ...CM, metadata: { name: 'before', namespace: n } });
        await kube.create({ ...CM, metadata: { name: 'gone-in-gap', namespace: n } });
        await kube.delete({ ...CM, namespace: n, name: 'gone-in-gap' });
        // compaction makes `before`'s version too old to watch from: the server answers 410 Gone
        await t.compact();
        const events: WatchEvent[] = [];
        const w = kube.watch(CM, {
          namespace: n,
          resourceVersion: before.metadata!.resourceVersion!,
          onEvent: (e) => events.push(e),
        });
        await eventually(
          () => events.some((e) => e.object.metadata?.name === 'before'),
          'the re-list to report the existing object',
        );
        await kube.create({ ...CM, metadata: { name: 'after', namespace: n } });
        await eventually(
          () => events.some((e) => e.object.metadata?.name === 'after' && e.type === 'ADDED'),
          'the event after the re-list',
        );
        expect(w.stats().relists).toBeGreaterThanOrEqual(1);
        w.stop();
      });

      it('resumes after a dropped connection from the last version it saw', async () => {
        const n = await ns();
        const names: string[] = [];
        const w = t.proxied.watch(CM, {
          namespace: n,
          onEvent: (e) => e.type === 'ADDED' && names.push(e.object.metadata?.name ?? ''),
        });
        await w.ready;
        await kube.create({ ...CM, metadata: { name: 'one', namespace: n } });
        await eventually(() => names.includes('one'), 'the first event');
        expect(t.proxy.dropAll()).toBeGreaterThan(0);
        // written while the stream is down: must still arrive, exactly once
        await kube.create({ ...CM, metadata: { name: 'two', namespace: n } });
        await kube.create({ ...CM, metadata: { name: 'three', namespace: n } });
        await eventually(() => names.includes('three'), 'the events written during the drop');
        expect(w.stats().reconnects).toBeGreaterThanOrEqual(1);
        expect(names.filter((x) => x === 'two')).toHaveLength(1);
        w.stop();
      });

      it('deletes a namespace: Terminating, then its contents, then itself', async () => {
        const n = await newNamespace(kube);
        await kube.create({ ...CM, metadata: { name: 'inside', namespace: n } });
        await kube.create(deployment(n, 'app', { app: 'ns-del' }));
        await kube.delete({ ...NS, name: n });
        const terminating = await kube.get({ ...NS, name: n });
        expect(terminating === undefined || terminating.metadata?.deletionTimestamp !== undefined).toBe(true);
        const refused = await kube.create({ ...CM, metadata: { name: 'late', namespace: n } }).catch((e: unknown) => e);
        expect(isKubeApiError(refused)).toBe(true);
        await eventually(
          async () => (await kube.get({ ...NS, name: n })) === undefined,
          'the namespace to be gone',
          90_000,
          200,
        );
        expect((await kube.list(CM, { namespace: n })).items).toHaveLength(0);
      });

      it('cascades deletion along ownerReferences, and orphans on request', async () => {
        const n = await ns();
        const owner = await kube.create({ ...CM, metadata: { name: 'owner', namespace: n } });
        const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
        await kube.create({ ...CM, metadata: { name: 'dep', namespace: n, ownerReferences: [ref] } });
        await kube.delete({ ...CM, namespace: n, name: 'owner' }, { propagationPolicy: 'Background' });
        await eventually(
          async () => (await kube.get({ ...CM, namespace: n, name: 'dep' })) === undefined,
          'the dependent to be collected',
          60_000,
          100,
        );

        const owner2 = await kube.create({ ...CM, metadata: { name: 'owner2', namespace: n } });
        await kube.create({
          ...CM,
          metadata: {
            name: 'dep2',
            namespace: n,
            ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata!.uid! }],
          },
        });
        await kube.delete({ ...CM, namespace: n, name: 'owner2' }, { propagationPolicy: 'Orphan' });
        await eventually(
          async () => (await kube.get({ ...CM, namespace: n, name: 'owner2' })) === undefined,
          'the owner to go',
          60_000,
          100,
        );
        const orphan = await eventually(
          async () => {
            const d = await kube.get({ ...CM, namespace: n, name: 'dep2' });
            return d && !d.metadata?.ownerReferences?.length ? d : undefined;
          },
          'the dependent to be orphaned',
          60_000,
          100,
        );
        expect(orphan.metadata?.name).toBe('dep2');
      });

      it('serves a CRD once installed, with a status subresource', async () => {
        const group = `ct${suffix()}.kdrill.dev`;
        const crd = {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: `widgets.${group}` },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                subresources: { status: {} },
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: {
                      spec: { type: 'object', properties: { size: { type: 'integer' } } },
                      status: { type: 'object', properties: { phase: { type: 'string' } } },
                    },
                  },
                },
              },
            ],
          },
        };
        const W = { apiVersion: `${group}/v1`, kind: 'Widget' };
        await kube.create(crd);
        try {
          await eventually(() => kube.serves(W), 'the CRD to be served');
          const n = await ns();
          await eventually(
            () => kube.create({ ...W, metadata: { name: 'w1', namespace: n }, spec: { size: 3 } }),
            'the first custom object',
            30_000,
            200,
          );
          const st = await kube.patchStatus({ ...W, namespace: n, name: 'w1' }, { phase: 'Ready' });
          expect(st.status).toEqual({ phase: 'Ready' });
          // the main endpoint ignores status changes when a status subresource exists
          const main = await kube.patch(
            { ...W, namespace: n, name: 'w1' },
            { spec: { size: 4 }, status: { phase: 'Ignored' } },
          );
          expect(main.spec).toEqual({ size: 4 });
          expect(main.status).toEqual({ phase: 'Ready' });
        } finally {
          await kube.delete({ apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name });
        }
      });

      it("validates velero.io objects against Velero's CRD schemas: enums, types, required fields, pruning", async () => {
        await installVeleroCrds(kube);
        const n = await ns();
        const R = { apiVersion: 'velero.io/v1', kind: 'Restore' };
        const ok = await kube.create({
          ...R,
          metadata: { name: 'r1', namespace: n },
          spec: { backupName: 'b1', includedResources: ['networkpolicies.networking.k8s.io'], notAField: true },
        });
        expect(ok.spec?.notAField).toBeUndefined(); // pruned, as a structural schema requires
        expect(ok.spec?.backupName).toBe('b1');
        const badType = await kube
          .create({
            ...R,
            metadata: { name: 'r3', namespace: n },
            spec: { backupName: 'b1', includedNamespaces: 'thanos' },
          })
          .catch((e: unknown) => e);
        expect(isKubeApiError(badType, 422)).toBe(true);
        expect((badType as Error).message).toMatch(/includedNamespaces/);
        const B = { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation' };
        const noProvider = await kube
          .create({ ...B, metadata: { name: 'bsl', namespace: n }, spec: { objectStorage: { bucket: 'b' } } })
          .catch((e: unknown) => e);
        expect(isKubeApiError(noProvider, 422)).toBe(true);
        expect((noProvider as Error).message).toMatch(/provider/);
        const badEnum = await kube
          .create({
            ...B,
            metadata: { name: 'bsl', namespace: n },
            spec: { provider: 'aws', objectStorage: { bucket: 'b' }, accessMode: 'Sometimes' },
          })
          .catch((e: unknown) => e);
        expect(isKubeApiError(badEnum, 422)).toBe(true);
        expect((badEnum as Error).message).toMatch(/accessMode/);
        // Velero's Restore has no status subresource: status is written through the object itself
        const st = await kube.patchStatus({ ...R, namespace: n, name: 'r1' }, { phase: 'InProgress' });
        expect(st.status?.phase).toBe('InProgress');
        const badPhase = await kube
          .patchStatus({ ...R, namespace: n, name: 'r1' }, { phase: 'Bogus' })
          .catch((e: unknown) => e);
        expect(isKubeApiError(badPhase, 422)).toBe(true);
      });

      it('refuses a workload that no NetworkPolicy selects in a hardened namespace, and admits it after', async () => {
        const n = await ns({ [HARDENED_LABEL]: 'true' });
        const labels = { app: 'guarded' };
        const refused = await kube.create(deployment(n, 'guarded', labels)).catch((e: unknown) => e);
        expect(isKubeApiError(refused, 403)).toBe(true);
        expect((refused as Error).message).toMatch(/require-networkpolicy/);
        expect((refused as Error).message).toMatch(/no NetworkPolicy in namespace/);
        await kube.create({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'allow', namespace: n },
          spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] },
        });
        await kube.create(deployment(n, 'guarded', labels));
        await eventually(
          async () => (await kube.get({ ...DEPLOY, namespace: n, name: 'guarded' }))?.status?.readyReplicas === 1,
          'the admitted deployment to be ready',
          60_000,
          100,
        );
      });

      it('runs workloads: pods scheduled across zones, volumes bound in the pod zone, nodes that stop take pods down', async () => {
        const n = await ns();
        await kube.create(deployment(n, 'web', { app: 'web' }, 3));
        await kube.create({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db', namespace: n },
          spec: {
            replicas: 2,
            serviceName: 'db',
            selector: { matchLabels: { app: 'db' } },
            template: {
              metadata: { labels: { app: 'db' } },
              spec: { containers: [{ name: 'db', image: 'registry.invalid/db:1' }] },
            },
            volumeClaimTemplates: [
              {
                metadata: { name: 'data' },
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
              },
            ],
          },
        });
        const pods = await eventually(
          async () => {
            const p = (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: n })).items;
            return p.length === 5 &&
              p.every((x) =>
                x.status?.conditions?.some(
                  (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
                ),
              )
              ? p
              : undefined;
          },
          'five ready pods',
          90_000,
          200,
        );
        const nodes = (await kube.list({ apiVersion: 'v1', kind: 'Node' })).items;
        const zoneOf = (node: string): string | undefined =>
          nodes.find((x) => x.metadata?.name === node)?.metadata?.labels?.[ZONE_LABEL];
        const webZones = new Set(
          pods.filter((p) => p.metadata?.labels?.app === 'web').map((p) => zoneOf(p.spec.nodeName)),
        );
        expect(webZones.size).toBe(3);
        for (const p of pods.filter((x) => x.metadata?.labels?.app === 'db')) {
          const pvc = await kube.get({
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: n,
            name: `data-${p.metadata?.name}`,
          });
          expect(pvc?.status?.phase).toBe('Bound');
          const pv = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolume', name: pvc!.spec.volumeName });
          expect(pv?.metadata?.labels?.[ZONE_LABEL]).toBe(zoneOf(p.spec.nodeName));
        }
        const web = await kube.get({ ...DEPLOY, namespace: n, name: 'web' });
        expect(web?.status?.readyReplicas).toBe(3);

        const victim = pods.find((p) => p.metadata?.labels?.app === 'web')!;
        await setNodeReady(kube, victim.spec.nodeName, false);
        try {
          await eventually(
            async () => {
              const p = await kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: n, name: victim.metadata!.name! });
              return p?.status?.conditions?.some(
                (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'False',
              );
            },
            'the pod on the stopped node to go NotReady',
            30_000,
            100,
          );
          await eventually(
            async () => (await kube.get({ ...DEPLOY, namespace: n, name: 'web' }))?.status?.readyReplicas === 2,
            'the deployment to count 2 ready',
            30_000,
            100,
          );
        } finally {
          await setNodeReady(kube, victim.spec.nodeName, true);
        }
      });

      describe('lab Velero: the NetworkPolicy-first proof', () => veleroProofSuite(() => t));

      // Last, on the real apiserver only (the lab target has nothing to run it on, so it is not even
      // declared there): the whole lab on it (its own controllers and Velero), so the suite's own
      // controllers stop first rather than run twice against one cluster.
      if (spec.name !== 'lab') {
        describe.skipIf(!process.env.KDRILL_TEST_S3_ENDPOINT)(
          `kdrill lab up --k8s real, and a drill on it${process.env.KDRILL_TEST_S3_ENDPOINT ? '' : ' (skipped: KDRILL_TEST_S3_ENDPOINT is not set: run .ci/run)'}`,
          () => {
            beforeAll(async () => {
              for (const n of namespaces) await kube.delete({ ...NS, name: n }).catch(() => undefined);
              await t.stop();
            });
            // a describe of its own, so that its lab is down before the next suites claim the cluster
            describe('the lab on it', () => realLabSuite(() => t));
            describe('lab hygiene on the real kube-apiserver', () => realHygieneSuite(() => t));
            // then each real app on the real control plane, one lab at a time (a Lease allows one per cluster)
            describe('conformance on real apps: the real kube-apiserver', () =>
              conformanceSuite(() => ({
                name: 'the real kube-apiserver v1.20',
                labArgs: ['--k8s', 'real', '--real-kubeconfig', t.kubeconfig],
                unserved: {
                  'policy/v1 PodDisruptionBudget':
                    /not served by this Kubernetes version \(v1\.20\.\d+\) at policy\/v1: it serves policy\/v1beta1/,
                },
                // v1.20 drops the probe's grpc handler (a v1.24 field) and then finds the probe without one
                rejects: {
                  'online-boutique': {
                    objects: ({ obj }) =>
                      (obj.spec?.template?.spec?.containers ?? []).some(
                        (c: { livenessProbe?: { grpc?: unknown }; readinessProbe?: { grpc?: unknown } }) =>
                          c.livenessProbe?.grpc || c.readinessProbe?.grpc,
                      ),
                    message: /Deployment boutique\/\w+: .*Probe: Required value: must specify a handler type/,
                    hint: /runs Kubernetes v1\.20\.\d+, which does not know grpc probes \(served from v1\.24\)/,
                  },
                },
              })));
          },
        );
      }
    },
  );
}
