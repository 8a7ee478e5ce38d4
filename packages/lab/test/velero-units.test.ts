import { describe, expect, it } from 'vitest';
import { parseAwsCredentials, settingsFromBsl } from '../../../src/backupstore/bsl.js';
import { parseGoDuration } from '../../../src/time/go-duration.js';
import { scheduledBackupName } from '../src/velero/cron.js';
import { nextRun } from '../../../src/time/cron.js';
import { orderedResources } from '../src/velero/restore-order.js';
import { VELERO_VERSIONS } from '../src/velero/versions.js';
import { TarballError, readTarEntry, tarballPaths } from '../../../src/backupstore/tarball.js';
import { tarGz } from '../src/velero/tar.js';
import { backupNamespaces } from '../src/velero/backup-scope.js';
import { transformCrds } from '../src/velero/crd-transforms.js';
import { validateIncludesExcludes } from '../src/velero/filters.js';
import { validLabelValue } from '../src/velero/labels.js';
import { mergePatch } from '../src/velero/restore-existing.js';

describe('lab Velero building blocks', () => {
  it('writes tarballs the streaming reader reads back, long paths included; the reader stops at the entry it needs', async () => {
    const long = `resources/networkpolicies.networking.k8s.io/v1-preferredversion/namespaces/thanos/${'x'.repeat(120)}.json`;
    const gz = tarGz([
      { path: 'metadata/version', data: '1.1.0\n' },
      { path: long, data: '{"a":1}' },
      { path: 'resources/big.json', data: 'x'.repeat(1 << 20) },
    ]);
    expect(await tarballPaths(gz)).toEqual(['metadata/version', long, 'resources/big.json']);
    expect((await readTarEntry(gz, 'metadata/version'))?.toString()).toBe('1.1.0\n');
    expect((await readTarEntry(gz, long))?.toString()).toBe('{"a":1}');
    expect(await readTarEntry(gz, 'absent.json')).toBeUndefined();
    await expect(tarballPaths(Buffer.from('garbage'))).rejects.toThrow(TarballError);
    await expect(tarballPaths(gz.subarray(0, gz.length - 20))).rejects.toThrow(TarballError);
  });

  // pkg/restore/restore.go getOrderedResources: High as written, the rest byte-wise, then Low
  it('orders a restore as Velero does: NetworkPolicies after Deployments, namespaces and PVCs first', () => {
    const inBackup = [
      'statefulsets.apps',
      'networkpolicies.networking.k8s.io',
      'deployments.apps',
      'persistentvolumeclaims',
      'namespaces',
      'services',
      'configmaps',
      'resourcequotas',
      'roles.rbac.authorization.k8s.io',
    ];
    const order = orderedResources(VELERO_VERSIONS['1.14'].restorePriorities, inBackup).filter((r) =>
      inBackup.includes(r),
    );
    expect(order).toEqual([
      'namespaces',
      'persistentvolumeclaims',
      'configmaps',
      'services',
      'deployments.apps',
      'networkpolicies.networking.k8s.io',
      'resourcequotas',
      'roles.rbac.authorization.k8s.io',
      'statefulsets.apps',
    ]);
    // the unresolved names come first, as written: discovery decides later what each one means
    expect(orderedResources(VELERO_VERSIONS['1.18'].restorePriorities, inBackup).slice(9, 11)).toEqual([
      'clusterroles',
      'roles',
    ]);
  });

  it('parses Go durations and schedules', () => {
    expect(parseGoDuration('720h0m0s', 0)).toBe(720 * 3600_000);
    expect(parseGoDuration('1h30m', 0)).toBe(5400_000);
    expect(parseGoDuration(undefined, 42)).toBe(42);
    expect(nextRun('0 2 * * *', new Date('2026-11-25T09:00:00Z'))?.toISOString()).toBe('2026-11-26T02:00:00.000Z');
    expect(nextRun('*/15 * * * *', new Date('2026-11-25T09:07:00Z'))?.toISOString()).toBe('2026-11-25T09:15:00.000Z');
    expect(nextRun('@every 1h', new Date('2026-11-25T09:00:00Z'))?.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(nextRun('61 * * * *', new Date())).toBeUndefined();
    // names and macros, as robfig/cron reads them: Monday 2026-11-30 is the next Monday after the 25th
    expect(nextRun('30 3 * nov-dec MON', new Date('2026-11-25T09:00:00Z'))?.toISOString()).toBe(
      '2026-11-30T03:30:00.000Z',
    );
    expect(nextRun('@daily', new Date('2026-11-25T09:00:00Z'))?.toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(nextRun('0 0 * foo *', new Date())).toBeUndefined();
    expect(scheduledBackupName('nightly', new Date('2026-11-25T02:00:07Z'))).toBe('nightly-20261125020007');
  });

  it('reads a BSL and its credentials the way the AWS plugin does', () => {
    const ini =
      '# velero\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n[profile other]\naws_access_key_id=O\naws_secret_access_key=OS\n';
    expect(parseAwsCredentials(ini)).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(parseAwsCredentials(ini, 'other')).toEqual({ accessKeyId: 'O', secretAccessKey: 'OS' });
    const s = settingsFromBsl(
      {
        metadata: { name: 'default', namespace: 'velero' },
        spec: {
          objectStorage: { bucket: '/backups/', prefix: '/cluster-a/', caCert: Buffer.from('PEM').toString('base64') },
          config: { s3Url: 'https://rgw:7480', s3ForcePathStyle: 'true', insecureSkipTLSVerify: 'true' },
        },
      },
      ini,
    );
    expect(s).toEqual({
      endpoint: 'https://rgw:7480',
      region: 'us-east-1',
      bucket: 'backups',
      prefix: 'cluster-a/',
      forcePathStyle: true,
      insecureSkipTLSVerify: true,
      caCert: 'PEM',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
    });
    expect(
      settingsFromBsl({ spec: { objectStorage: { bucket: 'b' }, config: { region: 'eu-north-1' } } }).endpoint,
    ).toBeUndefined();
    expect(() => settingsFromBsl({ spec: { objectStorage: { bucket: 'b' } } }, '[default]\nnothing=1\n')).toThrow(
      /aws_access_key_id/,
    );
  });

  // pkg/label/label.go GetValidName
  it('shortens label values as Velero does: 57 characters and 6 hex digits of the SHA-256', () => {
    expect(validLabelValue('x'.repeat(63))).toBe('x'.repeat(63));
    const long = `nightly-${'a'.repeat(70)}`;
    expect(validLabelValue(long)).toMatch(new RegExp(`^${long.slice(0, 57)}[0-9a-f]{6}$`));
    expect(validLabelValue(long)).toHaveLength(63);
  });

  // pkg/util/collections/includes_excludes.go ValidateIncludesExcludes, IncludeEverything; NamespaceIncludesExcludes and
  // pkg/util/wildcard/expand.go (v1.18.1)
  it('judges include/exclude lists as Velero does, v1.18 expanding backup namespace wildcards', () => {
    expect(validateIncludesExcludes(['*', 'a'], ['*', 'a'])).toEqual([
      "includes list must either contain '*' only, or a non-empty list of items",
      "excludes list cannot contain '*'",
      'excludes list cannot contain an item in the includes list: *',
      'excludes list cannot contain an item in the includes list: a',
    ]);
    const active = ['app', 'default', 'velero'];
    const [v14, v18] = [VELERO_VERSIONS['1.14'], VELERO_VERSIONS['1.18']];
    expect([
      backupNamespaces(v14, ['*'], [], active).coversAll,
      backupNamespaces(v14, [], ['x'], active).coversAll,
      backupNamespaces(v14, active, [], active).coversAll,
    ]).toEqual([true, false, false]);
    expect([
      backupNamespaces(v18, active, [], active).coversAll,
      backupNamespaces(v18, ['a*'], [], active).includes,
    ]).toEqual([true, ['app']]);
    // a wildcard that matches nothing: no namespace, yet "everything" to the cluster-scope check
    expect(backupNamespaces(v18, ['none-*'], [], active)).toMatchObject({ includes: [], none: true, coversAll: true });
  });

  // config/crd/v1/bases at v1.14.1 and v1.18.1
  it('refuses a CRD transform that no longer applies, rather than invent a CRD', () => {
    const crd = {
      metadata: { name: 'backups.velero.io' },
      spec: {
        versions: [
          {
            name: 'v1',
            schema: { openAPIV3Schema: { properties: { status: { properties: { phase: { enum: ['New'] } } } } } },
          },
        ],
      },
    };
    expect(() =>
      transformCrds(
        [crd],
        [{ op: 'drop-enum-values', crd: 'backups.velero.io', path: ['status', 'phase'], values: ['Queued'] }],
      ),
    ).toThrow(/out of date/);
    expect(() =>
      transformCrds([crd], [{ op: 'drop-property', crd: 'backups.velero.io', path: ['spec', 'x'] }]),
    ).toThrow(/no spec/);
    expect(
      transformCrds(
        [crd],
        [{ op: 'drop-enum-values', crd: 'backups.velero.io', path: ['status', 'phase'], values: ['New'] }],
      )[0]!.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.phase.enum,
    ).toEqual([]);
  });

  // pkg/restore/merge_service_account.go generatePatch (a JSON merge patch)
  it('computes the merge patch Velero applies to an existing object', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 5 }, e: [2], f: 'x' })).toEqual({
      b: { c: 5, d: null },
      e: [2],
      f: 'x',
    });
  });
});
