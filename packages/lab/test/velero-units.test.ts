import { describe, expect, it } from 'vitest';
import { parseAwsCredentials, settingsFromBsl } from '../../../src/backupstore/bsl.js';
import { parseGoDuration } from '../../../src/time/go-duration.js';
import { scheduledBackupName } from '../src/velero/cron.js';
import { nextRun } from '../../../src/time/cron.js';
import { restoreOrder } from '../src/velero/layout.js';
import { TarballError, readTarEntry, tarballPaths } from '../../../src/backupstore/tarball.js';
import { tarGz } from '../src/velero/tar.js';

describe('lab Velero building blocks', () => {
  it('writes tarballs the streaming reader reads back, long paths included; the reader stops at the entry it needs', async () => {
    const long = `resources/networkpolicies.networking.k8s.io/v1-preferredversion/namespaces/thanos/${'x'.repeat(120)}.json`;
    const gz = tarGz([{ path: 'metadata/version', data: '1.1.0\n' }, { path: long, data: '{"a":1}' }, { path: 'resources/big.json', data: 'x'.repeat(1 << 20) }]);
    expect(await tarballPaths(gz)).toEqual(['metadata/version', long, 'resources/big.json']);
    expect((await readTarEntry(gz, 'metadata/version'))?.toString()).toBe('1.1.0\n');
    expect((await readTarEntry(gz, long))?.toString()).toBe('{"a":1}');
    expect(await readTarEntry(gz, 'absent.json')).toBeUndefined();
    await expect(tarballPaths(Buffer.from('garbage'))).rejects.toThrow(TarballError);
    await expect(tarballPaths(gz.subarray(0, gz.length - 20))).rejects.toThrow(TarballError);
  });

  it("orders a restore as Velero does: NetworkPolicies after Deployments, namespaces and PVCs first", () => {
    const order = restoreOrder(['statefulsets.apps', 'networkpolicies.networking.k8s.io', 'deployments.apps', 'persistentvolumeclaims', 'namespaces', 'services', 'configmaps', 'resourcequotas']);
    expect(order).toEqual(['namespaces', 'persistentvolumeclaims', 'configmaps', 'services', 'deployments.apps', 'networkpolicies.networking.k8s.io', 'resourcequotas', 'statefulsets.apps']);
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
    expect(nextRun('30 3 * nov-dec MON', new Date('2026-11-25T09:00:00Z'))?.toISOString()).toBe('2026-11-30T03:30:00.000Z');
    expect(nextRun('@daily', new Date('2026-11-25T09:00:00Z'))?.toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(nextRun('0 0 * foo *', new Date())).toBeUndefined();
    expect(scheduledBackupName('nightly', new Date('2026-11-25T02:00:07Z'))).toBe('nightly-20261125020007');
  });

  it('reads a BSL and its credentials the way the AWS plugin does', () => {
    const ini = '# velero\n[default]\naws_access_key_id = AK\naws_secret_access_key=SK\n[profile other]\naws_access_key_id=O\naws_secret_access_key=OS\n';
    expect(parseAwsCredentials(ini)).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(parseAwsCredentials(ini, 'other')).toEqual({ accessKeyId: 'O', secretAccessKey: 'OS' });
    const s = settingsFromBsl(
      { metadata: { name: 'default', namespace: 'velero' }, spec: { objectStorage: { bucket: '/backups/', prefix: '/cluster-a/', caCert: Buffer.from('PEM').toString('base64') }, config: { s3Url: 'https://rgw:7480', s3ForcePathStyle: 'true', insecureSkipTLSVerify: 'true' } } },
      ini,
    );
    expect(s).toEqual({ endpoint: 'https://rgw:7480', region: 'us-east-1', bucket: 'backups', prefix: 'cluster-a/', forcePathStyle: true, insecureSkipTLSVerify: true, caCert: 'PEM', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } });
    expect(settingsFromBsl({ spec: { objectStorage: { bucket: 'b' }, config: { region: 'eu-north-1' } } }).endpoint).toBeUndefined();
    expect(() => settingsFromBsl({ spec: { objectStorage: { bucket: 'b' } } }, '[default]\nnothing=1\n')).toThrow(/aws_access_key_id/);
  });
});
