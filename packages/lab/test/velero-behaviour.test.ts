import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { eventually } from '../../../test/support/eventually.js';
import { Discovery } from '../src/velero/discovery.js';
import { serverDeployment } from '../src/velero/install.js';
import { installVeleroCrds, veleroCrds } from '../src/velero/crds.js';
import { VELERO_VERSIONS, type VeleroVersion } from '../src/velero/versions.js';
import { phaseRecordingStore, startVeleroLab, V, type VeleroLab } from './support/velero-lab.js';

const CM = (ns: string, name: string, data: Record<string, string> = { a: '1' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});
const NS = (name: string, labels: Record<string, string> = {}, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels, ...(annotations ? { annotations } : {}) },
  spec: { finalizers: ['kubernetes'] },
});
const get = (kube: KubeApi, apiVersion: string, kind: string, name: string, namespace?: string) =>
  kube.get({ apiVersion, kind, name, namespace });
const CRD = (
  group: string,
  plural: string,
  kind: string,
  scope: 'Namespaced' | 'Cluster' = 'Namespaced',
): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope,
    names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

/**
 * The lab Velero against Velero's own behaviour, read from v1.14.1 and v1.18.1 (SPEC.md, "The lab
 * Velero, release by release"). Each test names the Velero source it follows.
 */
describe('lab Velero behaves as Velero', () => {
  let v: VeleroLab;
  let kube: KubeApi;
  const release = async (version: VeleroVersion): Promise<void> => void (await v.use(version));

  beforeAll(async () => {
    v = await startVeleroLab();
    kube = v.kube;
    await release('1.14');
  });
  afterAll(() => v?.stop());

  // pkg/cmd/server/server.go (v1.14.1), pkg/cmd/server/config/config.go (v1.18.1); velero-plugin-for-aws README
  it('declares each release as data: image, AWS plugin, restore priorities, checks', () => {
    const [a, b] = [VELERO_VERSIONS['1.14'], VELERO_VERSIONS['1.18']];
    expect([a.image, a.awsPlugin.image, b.image, b.awsPlugin.series]).toEqual([
      'velero/velero:v1.14.1',
      'velero/velero-plugin-for-aws:v1.10.1',
      'velero/velero:v1.18.1',
      'v1.14.x',
    ]);
    expect(a.restorePriorities.high).toHaveLength(18);
    expect(b.restorePriorities.high.filter((r) => !a.restorePriorities.high.includes(r))).toEqual([
      'clusterroles',
      'roles',
      'clusterrolebindings',
      'rolebindings',
      'priorityclasses',
    ]);
    expect(b.restorePriorities.low.slice(a.restorePriorities.low.length)).toEqual([
      'apps.kappctrl.k14s.io',
      'packageinstalls.packaging.carvel.dev',
    ]);
    expect([a.restoreChecksBslPhase, a.backupQueue, b.restoreChecksBslPhase, b.backupQueue]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  // pkg/install/deployment.go, pkg/builder/container_builder.go (ForPluginContainer)
  it("installs the server Deployment with the release's image and its AWS plugin as an init container", async () => {
    const d = await get(kube, 'apps/v1', 'Deployment', 'velero', 'velero');
    expect(d?.spec?.template?.spec?.containers?.[0]?.image).toBe('velero/velero:v1.14.1');
    expect(d?.spec?.template?.spec?.initContainers).toEqual([
      {
        name: 'velero-velero-plugin-for-aws',
        image: 'velero/velero-plugin-for-aws:v1.10.1',
        volumeMounts: [{ name: 'plugins', mountPath: '/target' }],
      },
    ]);
    const d18 = serverDeployment('velero', VELERO_VERSIONS['1.18'].image, [VELERO_VERSIONS['1.18'].awsPlugin.image]);
    expect(d18.spec.template.spec.containers[0].image).toBe('velero/velero:v1.18.1');
    expect(
      serverDeployment('velero', 'x', ['registry.example/team/velero-plugin-for-aws:v1']).spec.template.spec
        .initContainers[0].name,
    ).toBe('team-velero-plugin-for-aws');
  });

  // config/crd/v1/bases/velero.io_backups.yaml and velero.io_backupstoragelocations.yaml at v1.14.1 and v1.18.1
  it("installs each release's CRDs: v1.14's know no Queued phase and no caCertRef", async () => {
    const crds = await veleroCrds('1.14');
    expect(
      crds.find((c) => c.metadata?.name === 'backups.velero.io')?.metadata?.annotations?.[
        'controller-gen.kubebuilder.io/version'
      ],
    ).toBe('v0.14.0');
    const queued = {
      ...V('Backup'),
      metadata: { name: 'queued-14', namespace: 'velero' },
      spec: {},
      status: { phase: 'Queued' },
    };
    await expect(kube.create(queued)).rejects.toThrow(/Queued/);
    await kube.create({
      ...V('BackupStorageLocation'),
      metadata: { name: 'ca14', namespace: 'velero' },
      spec: { provider: 'aws', objectStorage: { bucket: 'b', caCertRef: { name: 's', key: 'ca' } } },
    });
    expect(
      (await get(kube, 'velero.io/v1', 'BackupStorageLocation', 'ca14', 'velero'))?.spec?.objectStorage?.caCertRef,
    ).toBeUndefined();
    await kube.delete({ ...V('BackupStorageLocation'), namespace: 'velero', name: 'ca14' });
    try {
      await installVeleroCrds(kube, '1.18');
      await kube.create({
        ...queued,
        metadata: { name: 'queued-18', namespace: 'velero' },
        status: { phase: 'Failed' },
      });
      await kube.patchStatus(
        { ...V('Backup'), namespace: 'velero', name: 'queued-18' },
        { phase: 'Queued', queuePosition: 3 },
      );
      expect((await get(kube, 'velero.io/v1', 'Backup', 'queued-18', 'velero'))?.status).toMatchObject({
        phase: 'Queued',
        queuePosition: 3,
      });
      await kube.delete({ ...V('Backup'), namespace: 'velero', name: 'queued-18' });
    } finally {
      await installVeleroCrds(kube, '1.14');
    }
  });

  // pkg/restore/restore.go getOrderedResourceCollection (cluster-scope checks), restoreItem (additional items);
  // pkg/restore/actions/add_pv_from_pvc_action.go; pkg/util/collections/includes_excludes.go IncludeEverything
  it('restores cluster-scoped items only with every namespace or includeClusterResources; a Bound claim brings its volume', async () => {
    await v.putBackup('cs', [
      { gr: 'namespaces', obj: NS('cs-a') },
      { gr: 'configmaps', obj: CM('cs-a', 'c') },
      {
        gr: 'persistentvolumeclaims',
        obj: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', namespace: 'cs-a' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv-cs' },
          status: { phase: 'Bound' },
        },
      },
      {
        gr: 'persistentvolumes',
        obj: {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: 'pv-cs' },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            claimRef: { namespace: 'cs-a', name: 'data', uid: 'gone' },
            hostPath: { path: '/x' },
          },
          status: { phase: 'Bound' },
        },
      },
      {
        gr: 'clusterroles.rbac.authorization.k8s.io',
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'cs-reader' },
          rules: [],
        },
      },
    ]);
    const clean = async (): Promise<void> => {
      await v.drop('cs-a');
      await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolume', name: 'pv-cs' });
      await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'cs-reader' });
    };
    const cases: [string, Record<string, unknown>, { role: boolean; pv: boolean }][] = [
      ['unset, one namespace', { includedNamespaces: ['cs-a'] }, { role: false, pv: true }],
      ['true', { includedNamespaces: ['cs-a'], includeClusterResources: true }, { role: true, pv: true }],
      ['false', { includedNamespaces: ['cs-a'], includeClusterResources: false }, { role: false, pv: false }],
      [
        'volumes excluded',
        { includedNamespaces: ['cs-a'], excludedResources: ['persistentvolumes'] },
        { role: false, pv: false },
      ],
      ['no namespace filter', {}, { role: true, pv: true }],
      ['exactly *', { includedNamespaces: ['*'] }, { role: true, pv: true }],
      ['an exclude makes it not everything', { excludedNamespaces: ['elsewhere'] }, { role: false, pv: true }],
    ];
    for (const [i, [what, spec, want]] of cases.entries()) {
      const r = await v.restore(`cs-${i}`, { backupName: 'cs', ...spec });
      expect(r.status?.phase, what).toBe('Completed');
      expect(
        !!(await get(kube, 'rbac.authorization.k8s.io/v1', 'ClusterRole', 'cs-reader')),
        `${what}: ClusterRole`,
      ).toBe(want.role);
      const pv = await get(kube, 'v1', 'PersistentVolume', 'pv-cs');
      expect(!!pv, `${what}: PersistentVolume`).toBe(want.pv);
      expect(await get(kube, 'v1', 'ConfigMap', 'c', 'cs-a'), `${what}: ConfigMap`).toBeDefined();
      if (want.pv) {
        expect(pv?.metadata?.labels?.['velero.io/restore-name']).toBe(`cs-${i}`);
        expect(pv?.spec?.claimRef?.uid).not.toBe('gone'); // resetVolumeBindingInfo dropped the old uid
        expect((await v.restoreList(`cs-${i}`))['v1/PersistentVolume']).toEqual(['pv-cs(created)']);
      }
      await clean();
    }
  });

  // pkg/util/collections/includes_excludes.go GlobalIncludesExcludes.ShouldInclude/ShouldExclude, NamespaceIncludesExcludes (v1.18);
  // pkg/backup/actions/backup_pv_action.go; pkg/backup/backup.go backupCRD
  it('backs up cluster-scoped types with every namespace; with some, their namespaces, bound volumes and the CRDs of their custom resources', async () => {
    await kube.create(NS('bk-a'));
    await kube.create(CM('bk-a', 'c'));
    await kube.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'bk-a' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'bk-reader' },
      rules: [],
    });
    await kube.create(CRD('bk.example.com', 'widgets', 'Widget'));
    await eventually(() => kube.serves({ apiVersion: 'bk.example.com/v1', kind: 'Widget' }), 'widgets to be served');
    await kube.create({ apiVersion: 'bk.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'bk-a' } });
    const pvc = await eventually(async () => {
      const o = await get(kube, 'v1', 'PersistentVolumeClaim', 'data', 'bk-a');
      return o?.status?.phase === 'Bound' ? o : undefined;
    }, 'the claim to be bound');
    const kinds = async (b: string): Promise<Record<string, string[]>> => v.backupList(b);
    const role = 'rbac.authorization.k8s.io/v1/ClusterRole';
    const crd = 'apiextensions.k8s.io/v1/CustomResourceDefinition';

    const all = await kinds((await v.backup('bk-all', {})).metadata!.name!);
    expect(all[role]).toContain('bk-reader');
    expect(all[crd]).toEqual(expect.arrayContaining(['widgets.bk.example.com', 'backups.velero.io']));
    const some = await kinds((await v.backup('bk-some', { includedNamespaces: ['bk-a'] })).metadata!.name!);
    expect(some[role]).toBeUndefined();
    expect(some['v1/Namespace']).toEqual(['bk-a']);
    expect(some['v1/PersistentVolume']).toEqual([pvc.spec.volumeName]);
    expect(some[crd]).toEqual(['widgets.bk.example.com']);
    expect(some['bk.example.com/v1/Widget']).toEqual(['bk-a/w']);
    const off = await kinds(
      (await v.backup('bk-off', { includedNamespaces: ['bk-a'], includeClusterResources: false })).metadata!.name!,
    );
    expect([off['v1/Namespace'], off['v1/PersistentVolume'], off[crd]]).toEqual([undefined, undefined, undefined]);

    // every namespace by name: "everything" to v1.18 (wildcards expanded against the cluster), not to v1.14
    const names = (await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).items.map((n) => n.metadata!.name!);
    expect(
      (await kinds((await v.backup('bk-named-14', { includedNamespaces: names })).metadata!.name!))[role],
    ).toBeUndefined();
    await release('1.18');
    try {
      expect(
        (await kinds((await v.backup('bk-named-18', { includedNamespaces: names })).metadata!.name!))[role],
      ).toContain('bk-reader');
      const glob = await kinds((await v.backup('bk-glob-18', { includedNamespaces: ['bk-*'] })).metadata!.name!);
      expect([glob[role], glob['v1/Namespace']]).toEqual([undefined, ['bk-a']]);
    } finally {
      await release('1.14');
    }
    await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'bk-reader' });
    await v.drop('bk-a');
  });

  // pkg/discovery/helper.go ResourceFor; third_party/kubernetes/pkg/kubectl/cmd/util/shortcut_expander.go
  it("resolves names as Velero's discovery helper does: short names, singulars, any group", async () => {
    const d = await Discovery.load(kube);
    expect(
      ['roles', 'clusterroles', 'po', 'deploy', 'netpol', 'NetworkPolicy', 'replicasets.apps', 'crd'].map((n) =>
        d.groupResource(n),
      ),
    ).toEqual([
      'roles.rbac.authorization.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
      'pods',
      'deployments.apps',
      'networkpolicies.networking.k8s.io',
      'networkpolicies.networking.k8s.io',
      'replicasets.apps',
      'customresourcedefinitions.apiextensions.k8s.io',
    ]);
    // a priority that names a singular resolves once its CRD is served, and stays as written before
    expect(d.groupResource('volumesnapshotclass.snapshot.storage.k8s.io')).toBe(
      'volumesnapshotclass.snapshot.storage.k8s.io',
    );
    await kube.create(CRD('snapshot.storage.k8s.io', 'volumesnapshotclasses', 'VolumeSnapshotClass', 'Cluster'));
    try {
      await eventually(
        async () => (
          await d.refresh(),
          d.groupResource('volumesnapshotclass.snapshot.storage.k8s.io') ===
            'volumesnapshotclasses.snapshot.storage.k8s.io'
        ),
        'the CRD to resolve',
      );
    } finally {
      await kube.delete({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: 'volumesnapshotclasses.snapshot.storage.k8s.io',
      });
    }
  });

  // pkg/restore/restore.go execute (CRD first pass, discovery refresh), getOrderedResourceCollection; the releases' defaultRestorePriorities
  it("restores CRDs first, then in the release's priority order, each name resolved through discovery", async () => {
    const items = (): { gr: string; obj: KubeObject }[] => [
      { gr: 'namespaces', obj: NS('pr-a') },
      { gr: 'customresourcedefinitions.apiextensions.k8s.io', obj: CRD('pr.example.com', 'gadgets', 'Gadget') },
      {
        gr: 'gadgets.pr.example.com',
        obj: { apiVersion: 'pr.example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'pr-a' } },
      },
      {
        gr: 'clusterroles.rbac.authorization.k8s.io',
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'pr-cr' },
          rules: [],
        },
      },
      {
        gr: 'roles.rbac.authorization.k8s.io',
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'r', namespace: 'pr-a' },
          rules: [],
        },
      },
      {
        gr: 'rolebindings.rbac.authorization.k8s.io',
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'rb', namespace: 'pr-a' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
          subjects: [],
        },
      },
      {
        gr: 'serviceaccounts',
        obj: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'pr-a' } },
      },
      {
        gr: 'secrets',
        obj: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'pr-a' }, data: {} },
      },
      { gr: 'configmaps', obj: CM('pr-a', 'c') },
    ];
    await v.putBackup('prio', items());
    const order = async (r: string): Promise<string[]> => {
      const objs = await Promise.all(
        items()
          .slice(1)
          .map(async ({ obj }) => ({
            kind: obj.kind!,
            rv: Number(
              (await get(kube, obj.apiVersion!, obj.kind!, obj.metadata!.name!, obj.metadata?.namespace))?.metadata
                ?.resourceVersion,
            ),
          })),
      );
      expect(
        objs.every((o) => o.rv > 0),
        r,
      ).toBe(true);
      return objs.sort((a, b) => a.rv - b.rv).map((o) => o.kind);
    };
    const clean = async (): Promise<void> => {
      await v.drop('pr-a');
      await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'pr-cr' });
      await kube.delete({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: 'gadgets.pr.example.com',
      });
    };
    expect((await v.restore('prio-14', { backupName: 'prio', includeClusterResources: true })).status?.phase).toBe(
      'Completed',
    );
    // v1.14: RBAC is not in High, so it comes in the middle, byte-wise with everything else
    expect(await order('prio-14')).toEqual([
      'CustomResourceDefinition',
      'ServiceAccount',
      'Secret',
      'ConfigMap',
      'ClusterRole',
      'Gadget',
      'RoleBinding',
      'Role',
    ]);
    await clean();
    await release('1.18');
    try {
      expect((await v.restore('prio-18', { backupName: 'prio', includeClusterResources: true })).status?.phase).toBe(
        'Completed',
      );
      // v1.18: `clusterroles` and `roles` resolve to their rbac group and come before serviceaccounts
      expect(await order('prio-18')).toEqual([
        'CustomResourceDefinition',
        'ClusterRole',
        'Role',
        'ServiceAccount',
        'RoleBinding',
        'Secret',
        'ConfigMap',
        'Gadget',
      ]);
      await clean();
    } finally {
      await release('1.14');
    }
  });

  // pkg/restore/restore.go crdAvailable (--resource-timeout), kube.IsCRDReady (pkg/util/kube/utils.go)
  it('waits for each restored CRD to be Established and NamesAccepted, and says so when it never is', async () => {
    await v.putBackup('crd-wait', [
      {
        gr: 'customresourcedefinitions.apiextensions.k8s.io',
        obj: CRD('wait.example.com', 'things', 'Thing', 'Cluster'),
      },
    ]);
    // a server that never reports the CRD ready
    const slow = Object.create(kube) as KubeApi;
    slow.get = async (ref) => {
      const o = await kube.get(ref);
      return ref.kind === 'CustomResourceDefinition' && o
        ? { ...o, status: { conditions: [{ type: 'NamesAccepted', status: 'True' }] } }
        : o;
    };
    await v.use('1.14', { resourceTimeoutMs: 300 }, slow);
    try {
      const r = await v.restore('crd-wait', { backupName: 'crd-wait' });
      expect(r.status?.phase).toBe('PartiallyFailed');
      expect((await v.results('crd-wait')).errors.cluster).toEqual([
        'error verifying the CRD things.wait.example.com is ready to use: context deadline exceeded',
      ]);
    } finally {
      await release('1.14');
      await kube.delete({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: 'things.wait.example.com',
      });
    }
  });

  // pkg/restore/restore.go processSelectedResource, getNamespace; pkg/util/kube/utils.go EnsureNamespaceExistsAndIsReady; addRestoreLabels
  it('creates the namespace of a namespaced item from its backed-up Namespace, without restore labels, and leaves an existing one alone', async () => {
    await v.putBackup('nsb', [
      { gr: 'namespaces', obj: NS('ns-a', { team: 'a' }, { owner: 'x' }) },
      { gr: 'configmaps', obj: CM('ns-a', 'c') },
    ]);
    // `namespaces` is not among the included resources, and the namespace is still created
    expect(
      (await v.restore('nsb-1', { backupName: 'nsb', includedNamespaces: ['ns-a'], includedResources: ['configmaps'] }))
        .status?.phase,
    ).toBe('Completed');
    const ns = await get(kube, 'v1', 'Namespace', 'ns-a');
    expect(ns?.metadata?.labels?.team).toBe('a');
    expect(ns?.metadata?.annotations?.owner).toBe('x');
    expect(Object.keys(ns?.metadata?.labels ?? {}).filter((l) => l.startsWith('velero.io/'))).toEqual([]);
    expect((await get(kube, 'v1', 'ConfigMap', 'c', 'ns-a'))?.metadata?.labels).toMatchObject({
      'velero.io/backup-name': 'nsb',
      'velero.io/restore-name': 'nsb-1',
    });
    expect((await v.restoreList('nsb-1'))['v1/Namespace']).toEqual(['ns-a(created)']);
    await kube.patch({ apiVersion: 'v1', kind: 'Namespace', name: 'ns-a' }, { metadata: { labels: { team: 'b' } } });
    expect((await v.restore('nsb-2', { backupName: 'nsb', includedNamespaces: ['ns-a'] })).status?.phase).toBe(
      'Completed',
    );
    expect((await get(kube, 'v1', 'Namespace', 'ns-a'))?.metadata?.labels?.team).toBe('b');
    const list = await v.restoreList('nsb-2');
    expect(list['v1/Namespace']).toBeUndefined();
    // the same ConfigMap again: skipped, without a warning
    expect(list['v1/ConfigMap']).toEqual(['ns-a/c(skipped)']);
    expect((await v.results('nsb-2')).warnings.namespaces).toEqual({});
    await v.drop('ns-a');
  });

  // pkg/restore/actions/service_action.go
  it('restores Services as the Service action does: headless keeps its IP, explicit node ports stay, assigned ones go', async () => {
    const svc = (
      name: string,
      spec: Record<string, unknown>,
      metadata: Record<string, unknown> = {},
    ): { gr: string; obj: KubeObject } => ({
      gr: 'services',
      obj: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'svc-a', ...metadata },
        spec: { selector: { app: name }, ...spec },
      },
    });
    const applied = (spec: object) => ({
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Service', spec }),
      },
    });
    const owned = {
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Apply',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:nodePort': {} } } } },
        },
      ],
    };
    const tcp = (port: number, nodePort: number, name?: string) => ({
      ...(name ? { name } : {}),
      port,
      protocol: 'TCP',
      nodePort,
    });
    await v.putBackup('svc', [
      svc('headless', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80, protocol: 'TCP' }] }),
      svc('plain', { clusterIP: '10.99.9.9', clusterIPs: ['10.99.9.9'], ports: [{ port: 80, protocol: 'TCP' }] }),
      svc('np-auto', { type: 'NodePort', ports: [tcp(80, 30001, 'http')] }),
      svc(
        'np-applied',
        { type: 'NodePort', ports: [tcp(80, 30002, 'http'), tcp(9090, 30003, 'metrics')] },
        applied({
          type: 'NodePort',
          ports: [
            { name: 'http', port: 80, nodePort: 30002 },
            { name: 'metrics', port: 9090 },
          ],
        }),
      ),
      svc(
        'np-unnamed',
        { type: 'NodePort', ports: [tcp(80, 30004)] },
        applied({ type: 'NodePort', ports: [{ port: 80, nodePort: '30004' }] }),
      ),
      svc('np-managed', { type: 'NodePort', ports: [tcp(80, 30005, 'a'), tcp(81, 30006, 'b')] }, owned),
      svc('lb-auto', {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32001,
        ports: [tcp(80, 30007)],
      }),
      svc(
        'lb-applied',
        { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32002, ports: [tcp(80, 30008)] },
        applied({ type: 'LoadBalancer', healthCheckNodePort: 32002, ports: [{ port: 80, nodePort: 30008 }] }),
      ),
    ]);
    const spec = async (name: string) => (await get(kube, 'v1', 'Service', name, 'svc-a'))?.spec;
    const nodePorts = async (name: string) =>
      ((await spec(name))?.ports as { nodePort?: number }[]).map((p) => p.nodePort ?? null);
    expect((await v.restore('svc-1', { backupName: 'svc' })).status?.phase).toBe('Completed');
    expect(await spec('headless')).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
    expect((await spec('plain'))?.clusterIP).not.toBe('10.99.9.9');
    expect(await nodePorts('np-auto')).toEqual([null]);
    expect(await nodePorts('np-applied')).toEqual([30002, null]);
    expect(await nodePorts('np-unnamed')).toEqual([30004]);
    expect(await nodePorts('np-managed')).toEqual([30005, null]);
    expect([(await spec('lb-auto'))?.healthCheckNodePort, (await spec('lb-applied'))?.healthCheckNodePort]).toEqual([
      undefined,
      32002,
    ]);
    await v.drop('svc-a');
    expect((await v.restore('svc-2', { backupName: 'svc', preserveNodePorts: true })).status?.phase).toBe('Completed');
    expect([
      await nodePorts('np-auto'),
      await nodePorts('np-applied'),
      (await spec('lb-auto'))?.healthCheckNodePort,
    ]).toEqual([[30001], [30002, 30003], 32001]);
    expect((await spec('plain'))?.clusterIP).not.toBe('10.99.9.9');
    await v.drop('svc-a');
  });

  // pkg/restore/restore.go resetMetadata (ownerReferences), isCompleted; Kubernetes' controller_ref_manager.go (adoption)
  it('restores owned ReplicaSets and Pods as orphans, which their restored controllers adopt: no pod twice', async () => {
    await kube.create(NS('own-a'));
    const tpl = (app: string) => ({
      metadata: { labels: { app } },
      spec: { containers: [{ name: app, image: `registry.invalid/${app}:1` }] },
    });
    await kube.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'own-a' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: tpl('web') },
    });
    await kube.create({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'own-a' },
      spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: tpl('db') },
    });
    const ready = async (): Promise<boolean> =>
      (await get(kube, 'apps/v1', 'Deployment', 'web', 'own-a'))?.status?.readyReplicas === 2 &&
      (await get(kube, 'apps/v1', 'StatefulSet', 'db', 'own-a'))?.status?.readyReplicas === 1;
    await eventually(ready, 'the workloads to be ready');
    const pods = async () =>
      (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'own-a' })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
    const before = (await pods()).map((p) => p.metadata!.name!).sort();
    const rs = (await kube.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, { namespace: 'own-a' })).items.map(
      (r) => r.metadata!.name!,
    );
    expect((await v.backup('own', { includedNamespaces: ['own-a'] })).status?.phase).toBe('Completed');
    await v.drop('own-a');
    expect((await v.restore('own-1', { backupName: 'own', includedNamespaces: ['own-a'] })).status?.phase).toBe(
      'Completed',
    );
    const list = await v.restoreList('own-1');
    expect(list['v1/Pod']).toEqual(before.map((n) => `own-a/${n}(created)`));
    expect(list['apps/v1/ReplicaSet']).toEqual(rs.map((n) => `own-a/${n}(created)`));
    await eventually(ready, 'the restored workloads to be ready');
    await new Promise((r) => setTimeout(r, 500)); // room for a controller that would make more
    const after = await pods();
    expect(after.map((p) => p.metadata!.name!).sort()).toEqual(before);
    const uidOf = async (kind: string, name: string) =>
      (await get(kube, 'apps/v1', kind, name, 'own-a'))?.metadata?.uid;
    const rsNow = await get(kube, 'apps/v1', 'ReplicaSet', rs[0]!, 'own-a');
    expect(rsNow?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      uid: await uidOf('Deployment', 'web'),
      controller: true,
    });
    for (const p of after) {
      const owner = p.metadata!.name === 'db-0' ? await uidOf('StatefulSet', 'db') : rsNow?.metadata?.uid;
      expect(
        p.metadata?.ownerReferences?.filter((o) => o.controller).map((o) => o.uid),
        p.metadata!.name,
      ).toEqual([owner]);
    }
    await v.drop('own-a');
  });

  // pkg/restore/restore.go isCompleted (Pods Succeeded/Failed, Jobs with completionTime), the mirror-pod check
  it('leaves completed Pods and Jobs out of the restore and its resource list; a failed Job is restored', async () => {
    const pod = (
      name: string,
      status: object,
      annotations?: Record<string, string>,
    ): { gr: string; obj: KubeObject } => ({
      gr: 'pods',
      obj: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'done-a', ...(annotations ? { annotations } : {}) },
        spec: { containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
        status,
      },
    });
    const job = (name: string, status: object): { gr: string; obj: KubeObject } => ({
      gr: 'jobs.batch',
      obj: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: 'done-a' },
        spec: {
          template: {
            metadata: { labels: { 'controller-uid': 'old' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
          },
        },
        status,
      },
    });
    await v.putBackup('done', [
      pod('succeeded', { phase: 'Succeeded' }),
      pod('failed', { phase: 'Failed' }),
      pod('running', { phase: 'Running' }),
      pod('mirror', { phase: 'Running' }, { 'kubernetes.io/config.mirror': 'x' }),
      job('finished', { completionTime: '2026-11-30T02:00:00Z', succeeded: 1 }),
      job('broken', { failed: 1 }),
    ]);
    expect((await v.restore('done-1', { backupName: 'done' })).status?.phase).toBe('Completed');
    const list = await v.restoreList('done-1');
    expect(list['v1/Pod']).toEqual(['done-a/mirror(skipped)', 'done-a/running(created)']);
    expect(list['batch/v1/Job']).toEqual(['done-a/broken(created)']);
    expect(await get(kube, 'v1', 'Pod', 'succeeded', 'done-a')).toBeUndefined();
    expect(await get(kube, 'v1', 'Pod', 'mirror', 'done-a')).toBeUndefined();
    // job_action.go: the old controller's uid is gone from the template
    expect(
      (await get(kube, 'batch/v1', 'Job', 'broken', 'done-a'))?.spec?.template?.metadata?.labels?.['controller-uid'],
    ).toBeUndefined();
    await v.drop('done-a');
  });

  // pkg/controller/restore_controller.go validateAndComplete, fetchBackupInfoInternal, runValidatedRestore (downloadToTempFile)
  for (const version of ['1.14', '1.18'] as const) {
    it(`v${version}: fails validation with validateAndComplete's words; the backup's phase is not checked`, async () => {
      await release(version);
      try {
        const errors = async (name: string, spec: Record<string, unknown>) => {
          const r = await v.restore(`${name}-${version.replace('.', '')}`, spec);
          expect(r.status?.phase, name).toBe('FailedValidation');
          return r.status?.validationErrors as string[];
        };
        expect(await errors('missing', { backupName: 'nope' })).toEqual([
          'Error retrieving backup: can\'t find backup velero/nope: backups.velero.io "nope" not found',
        ]);
        expect(await errors('both', { backupName: 'nope', scheduleName: 'nightly' })).toEqual([
          'Either a backup or schedule must be specified as a source for the restore, but not both',
        ]);
        expect(await errors('sched', { scheduleName: 'never-ran' })).toEqual([
          'No backups found for schedule',
          'No completed backups found for schedule',
        ]);
        expect(
          await errors('nodes', { backupName: 'nope', includedResources: ['nodes'], existingResourcePolicy: 'merge' }),
        ).toEqual([
          'nodes are non-restorable resources',
          'Invalid included/excluded resource lists: excludes list cannot contain an item in the includes list: nodes',
          'Invalid ExistingResourcePolicy: merge',
          'Error retrieving backup: can\'t find backup velero/nope: backups.velero.io "nope" not found',
        ]);
        // a Failed backup whose files never reached the bucket: validation passes, the download fails
        const failed = `failed-${version.replace('.', '')}`;
        await kube.create({
          ...V('Backup'),
          metadata: { name: failed, namespace: 'velero' },
          spec: { storageLocation: 'default' },
          status: { phase: 'Failed' },
        });
        const r = await v.restore(`${failed}-r`, { backupName: failed });
        expect(r.status?.phase).toBe('Failed');
        expect(r.status?.failureReason).toMatch(
          new RegExp(`^error downloading backup: .*backups/${failed}/${failed}\\.tar\\.gz.*NoSuchKey`),
        );
        expect(r.status?.startTimestamp).toBeDefined();
        // the spec as Velero completes it
        expect(r.spec?.excludedResources).toEqual(
          expect.arrayContaining(['nodes', 'events', 'backups.velero.io', 'restores.velero.io']),
        );
        expect(r.spec?.itemOperationTimeout).toBe('4h0m0s');
      } finally {
        await release('1.14');
      }
    });
  }

  // pkg/controller/restore_controller.go validateAndComplete: BSLIsAvailable (v1.18.1 only)
  it('refuses a restore from an unavailable BSL in v1.18 only; v1.14 restores while the store answers', async () => {
    await v.putBackup('bsl-b', [{ gr: 'configmaps', obj: CM('bsl-a', 'c') }]);
    await v.store.put('not-velero/file.txt', 'x'); // an Unavailable BSL whose bucket still answers
    try {
      for (const version of ['1.14', '1.18'] as const) {
        await v.use(version, {}, kube, 'Unavailable');
        const r = await v.restore(`bsl-${version.replace('.', '')}`, { backupName: 'bsl-b' });
        if (version === '1.14') expect(r.status?.phase).toBe('Completed');
        else
          expect([r.status?.phase, r.status?.validationErrors]).toEqual([
            'FailedValidation',
            ['The BSL default is unavailable, cannot retrieve the backup'],
          ]);
      }
    } finally {
      await v.store.delete('not-velero/file.txt');
      await release('1.14');
      await v.drop('bsl-a');
    }
  });

  // pkg/controller/backup_controller.go runBackup, pkg/persistence/object_store.go PutBackup, backup_finalizer_controller.go;
  // pkg/controller/backup_queue_controller.go (v1.18.1)
  for (const version of ['1.14', '1.18'] as const) {
    it(`v${version}: writes a backup's files only at the end of InProgress, the first velero-backup.json Finalizing`, async () => {
      const name = `files-${version.replace('.', '')}`;
      const recorded = phaseRecordingStore(v.store, kube, name);
      await v.use(version, { storeFor: async () => recorded.store });
      const phases: string[] = [];
      const positions: unknown[] = [];
      const watch = kube.watch(V('Backup'), {
        onEvent: (e) => {
          if (e.object.metadata?.name !== name) return;
          const p = String(e.object.status?.phase ?? '');
          if (p && phases[phases.length - 1] !== p) phases.push(p);
          if (p === 'Queued') positions.push(e.object.status?.queuePosition);
        },
      });
      await watch.ready;
      try {
        expect((await v.backup(name, { includedNamespaces: ['velero'] })).status?.phase).toBe('Completed');
        await eventually(() => phases[phases.length - 1] === 'Completed', 'the watch to see Completed');
        expect(phases).toEqual(
          version === '1.18'
            ? ['Queued', 'ReadyToStart', 'InProgress', 'Finalizing', 'Completed']
            : ['InProgress', 'Finalizing', 'Completed'],
        );
        if (version === '1.18') expect(positions[0]).toBeGreaterThanOrEqual(1);
        // every file was written while the Backup said InProgress, but the last rewrite of its metadata
        expect(recorded.writes.length).toBeGreaterThanOrEqual(6);
        expect(new Set(recorded.writes.slice(0, -1).map((w) => w.phase))).toEqual(new Set(['InProgress']));
        const metadata = recorded.writes
          .filter((w) => w.key.endsWith('velero-backup.json'))
          .map((w) => JSON.parse(w.body).status.phase);
        expect(metadata).toEqual(['Finalizing', 'Completed']);
      } finally {
        watch.stop();
        await release('1.14');
      }
    });
  }

  // pkg/restore/restore.go restoreItem (an existing object that differs; existingResourcePolicy), the deferred item action
  it('warns of an existing object that differs in the words of each release; policy none quotes in both; update patches', async () => {
    await v.putBackup('ex', [{ gr: 'configmaps', obj: CM('ex-a', 'c', { a: '1' }) }]);
    await kube.create(NS('ex-a'));
    await kube.create(CM('ex-a', 'c', { a: '2' }));
    const warnings = async (name: string, spec: Record<string, unknown> = {}) => {
      expect((await v.restore(name, { backupName: 'ex', includedNamespaces: ['ex-a'], ...spec })).status?.phase).toBe(
        'Completed',
      );
      return (await v.results(name)).warnings.namespaces['ex-a'] as string[] | undefined;
    };
    const quoted =
      'could not restore, ConfigMap "c" already exists. Warning: the in-cluster version is different than the backed-up version';
    try {
      expect(await warnings('ex-14')).toEqual([quoted]);
      expect((await v.restoreList('ex-14'))['v1/ConfigMap']).toEqual(['ex-a/c(failed)']);
      expect(await warnings('ex-14-none', { existingResourcePolicy: 'none' })).toEqual([quoted]);
      await release('1.18');
      expect(await warnings('ex-18')).toEqual([
        'could not restore, ConfigMap:c already exists. Warning: the in-cluster version is different than the backed-up version',
      ]);
      expect(await warnings('ex-18-none', { existingResourcePolicy: 'none' })).toEqual([quoted]);
      expect(await warnings('ex-18-update', { existingResourcePolicy: 'update' })).toBeUndefined();
      expect((await v.restoreList('ex-18-update'))['v1/ConfigMap']).toEqual(['ex-a/c(updated)']);
      const cm = await get(kube, 'v1', 'ConfigMap', 'c', 'ex-a');
      expect([cm?.data, cm?.metadata?.labels?.['velero.io/restore-name']]).toEqual([{ a: '1' }, 'ex-18-update']);
    } finally {
      await release('1.14');
      await v.drop('ex-a');
    }
  });
});
