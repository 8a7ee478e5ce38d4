import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { applyModifiers, modifiersFromConfigMap, validateModifiers } from '../src/velero/resource-modifiers.js';
import { startVeleroLab, V, type VeleroLab } from './support/velero-lab.js';

const rulesCm = (name: string, rules: unknown, extra: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'velero' },
  data: { 'rules.yaml': stringify({ version: 'v1', resourceModifierRules: rules }), ...extra },
});
const cronJob = (ns: string, name: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name, namespace: ns, labels: { app: 'report' } },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: {
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'r', image: 'busybox' }] } } },
    },
  },
});
const service = (ns: string, name: string, type: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { type, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
});

/**
 * Restore resource modifiers as Velero applies them (internal/resourcemodifiers, v1.14.1 and v1.18.1;
 * site/content/docs/v1.14/restore-resource-modifiers.md): matched on the backed-up item (its original
 * namespace), applied after the restore item actions and before the item is created; a bad ConfigMap
 * fails validation with Velero's own words.
 */
describe('lab Velero: restore resource modifiers', () => {
  let v: VeleroLab;
  let kube: KubeApi;
  beforeAll(async () => {
    v = await startVeleroLab();
    kube = v.kube;
    await v.putBackup('mods', [
      { gr: 'namespaces', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } } },
      { gr: 'cronjobs.batch', obj: cronJob('prod', 'report') },
      { gr: 'services', obj: service('prod', 'web', 'NodePort') },
      { gr: 'services', obj: service('prod', 'plain', 'ClusterIP') },
    ]);
  }, 60_000);
  afterAll(async () => v?.stop());

  it('suspends CronJobs and turns a NodePort Service into ClusterIP in the mapped namespace, leaving the rest', async () => {
    await kube.create(
      rulesCm('rt-1', [
        {
          conditions: { groupResource: 'cronjobs.batch', namespaces: ['prod'] },
          mergePatches: [{ patchData: '{"spec":{"suspend":true}}' }],
        },
        {
          conditions: { groupResource: 'services', resourceNameRegex: '^web$', namespaces: ['prod'] },
          mergePatches: [
            { patchData: stringify({ spec: { type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }] } }) },
          ],
        },
      ]),
    );
    const r = await v.restore('rt-1', {
      backupName: 'mods',
      namespaceMapping: { prod: 'prod-rt-1' },
      resourceModifier: { kind: 'ConfigMap', name: 'rt-1' },
    });
    expect(r.status?.phase, JSON.stringify(await v.results('rt-1'))).toBe('Completed');
    const cj = await kube.get({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'prod-rt-1', name: 'report' });
    expect(cj?.spec?.suspend).toBe(true);
    const web = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace: 'prod-rt-1', name: 'web' });
    expect(web?.spec?.type).toBe('ClusterIP');
    expect(web?.spec?.ports?.[0]?.nodePort).toBeUndefined();
    const plain = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace: 'prod-rt-1', name: 'plain' });
    expect(plain?.spec?.type).toBe('ClusterIP');
    // the conditions name the original namespace: nothing landed there
    expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'prod' })).toBeUndefined();
  });

  it('a JSON patch with Velero value rules ("true" is a boolean), and a failed test leaves the item alone', async () => {
    await kube.create(
      rulesCm('rt-2', [
        {
          conditions: { groupResource: 'cronjobs.batch' },
          patches: [
            { operation: 'test', path: '/spec/schedule', value: '"*/5 * * * *"' },
            { operation: 'add', path: '/spec/suspend', value: 'true' },
          ],
        },
        {
          conditions: { groupResource: 'services', resourceNameRegex: 'plain' },
          patches: [
            { operation: 'test', path: '/spec/type', value: 'NodePort' },
            { operation: 'add', path: '/metadata/labels', value: '{"patched":"yes"}' },
          ],
        },
      ]),
    );
    const r = await v.restore('rt-2', {
      backupName: 'mods',
      namespaceMapping: { prod: 'prod-rt-2' },
      resourceModifier: { kind: 'ConfigMap', name: 'rt-2' },
    });
    expect(r.status?.phase).toBe('Completed');
    const cj = await kube.get({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'prod-rt-2', name: 'report' });
    expect(cj?.spec?.suspend).toBe(true);
    const plain = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace: 'prod-rt-2', name: 'plain' });
    expect(plain?.metadata?.labels?.patched).toBeUndefined();
  });

  it('fails validation as Velero does: a missing ConfigMap, two data keys, an unknown field, a bad version', async () => {
    const cases: [string, KubeObject | undefined, RegExp][] = [
      ['bad-none', undefined, /^failed to get resource modifiers configmap velero\/bad-none$/],
      [
        'bad-keys',
        rulesCm('bad-keys', [{ conditions: { groupResource: 'pods' }, patches: [] }], { other: 'x' }),
        /^Error in parsing resource modifiers provided in configmap velero\/bad-keys: illegal resource modifiers velero\/bad-keys configmap$/,
      ],
      [
        'bad-field',
        rulesCm('bad-field', [{ conditions: { groupResource: 'pods', nope: 1 }, patches: [] }]),
        /^Error in parsing resource modifiers provided in configmap velero\/bad-field: failed to decode yaml data into resource modifiers/,
      ],
      [
        'bad-op',
        rulesCm('bad-op', [{ conditions: { groupResource: 'pods' }, patches: [{ operation: 'merge', path: '/a' }] }]),
        /^Validation error in resource modifiers provided in configmap velero\/bad-op: unsupported operation merge$/,
      ],
    ];
    for (const [name, cm, msg] of cases) {
      if (cm) await kube.create(cm);
      const r = await v.restore(name, { backupName: 'mods', resourceModifier: { kind: 'ConfigMap', name } });
      expect(r.status?.phase, name).toBe('FailedValidation');
      expect(r.status?.validationErrors, name).toEqual([expect.stringMatching(msg)]);
    }
    expect((await kube.list(V('Restore'), { namespace: 'velero' })).items.length).toBeGreaterThan(0);
  });

  it('a patch that cannot apply is a restore error of the item, and the restore ends PartiallyFailed', async () => {
    await kube.create(
      rulesCm('rt-3', [
        { conditions: { groupResource: 'services' }, patches: [{ operation: 'remove', path: '/spec/nothere' }] },
      ]),
    );
    const r = await v.restore('rt-3', {
      backupName: 'mods',
      namespaceMapping: { prod: 'prod-rt-3' },
      resourceModifier: { kind: 'ConfigMap', name: 'rt-3' },
    });
    expect(r.status?.phase).toBe('PartiallyFailed');
    const res = await v.results('rt-3');
    expect(res.errors.namespaces['prod-rt-3']).toEqual([
      expect.stringMatching(/^error in applying patch error in applying JSON Patch /),
      expect.stringMatching(/^error in applying patch error in applying JSON Patch /),
    ]);
  });
});

describe('resource modifier rules, unit', () => {
  const m = (rules: unknown) => {
    const x = modifiersFromConfigMap(rulesCm('x', rules));
    validateModifiers(x);
    return x;
  };
  it('matches the groupResource as a glob with "." separating segments, and namespaces and labels', () => {
    const rules = m([
      {
        conditions: { groupResource: '*.batch', labelSelector: { matchLabels: { app: 'report' } } },
        mergePatches: [{ patchData: 'metadata: {annotations: {hit: "1"}}' }],
      },
    ]);
    expect(applyModifiers(rules, cronJob('a', 'x'), 'cronjobs.batch').item.metadata?.annotations).toEqual({ hit: '1' });
    expect(applyModifiers(rules, cronJob('a', 'x'), 'cronjobs.batch.extra').item.metadata?.annotations).toBeUndefined();
    const other = { ...cronJob('a', 'x'), metadata: { name: 'x', namespace: 'a', labels: { app: 'other' } } };
    expect(applyModifiers(rules, other, 'cronjobs.batch').item.metadata?.annotations).toBeUndefined();
  });
  it('refuses two kinds of patch in one rule, and an empty groupResource', () => {
    expect(() =>
      m([
        {
          conditions: { groupResource: 'pods' },
          patches: [{ operation: 'add', path: '/a', value: '1' }],
          mergePatches: [{ patchData: '{}' }],
        },
      ]),
    ).toThrow('only one of patches, mergePatches, strategicPatches can be specified');
    expect(() => m([{ conditions: { groupResource: '' }, patches: [] }])).toThrow('groupkResource cannot be empty');
  });
});
