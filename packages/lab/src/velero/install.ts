import type { ObjectStore, S3Settings } from '../core.js';
import type { Clock, KubeApi } from '../core.js';
import type { KubeObject } from '../core.js';
import { systemClock } from '../core.js';
import { untilNotTerminating } from '../namespace-ready.js';
import { installVeleroCrds } from './crds.js';
import { veleroRelease, type VeleroVersion } from './versions.js';

export interface VeleroInstall {
  namespace: string;
  bsl: string;
  settings: S3Settings;
  ttl: string;
  /** The release installed (versions.ts): its CRDs, its image, its AWS plugin. The nightly pin, 1.14, by default. */
  version?: VeleroVersion;
  /** The image of the server Deployment (what `velero install --image` would set); the release's by default. */
  image?: string;
  /** spec.validationFrequency of the BSL; Velero's default is 1m, the lab validates sooner. */
  validationFrequency?: string;
  /** The wait for the CRDs to be served reads it (systemClock by default). */
  clock?: Clock;
}

/**
 * The server Deployment as `velero install --plugins <aws plugin>` writes it (pkg/install/deployment.go):
 * the lab Velero runs while it is ready. Each plugin is an init container named after its image
 * without registry and tag (builder.ForPluginContainer) that copies itself into the plugins volume.
 */
function pluginContainerName(image: string): string {
  const slash = image.indexOf('/');
  const slashes = slash >= 0 ? image.slice(slash).split('/').length - 1 : 0;
  const start = slashes > 1 || slash === 0 ? slash + 1 : 0; // past the registry, when there is one
  const at = image.lastIndexOf('@');
  const colon = image.lastIndexOf(':');
  const end = at > 0 ? at : colon > 0 ? colon : image.length;
  return image.slice(start, end).replace(/[/_.]/g, '-');
}

export function serverDeployment(namespace: string, image: string, plugins: string[] = []): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'velero', namespace, labels: { component: 'velero' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { deploy: 'velero' } },
      template: {
        metadata: { labels: { component: 'velero', deploy: 'velero' } },
        spec: {
          serviceAccountName: 'velero',
          ...(plugins.length
            ? {
                initContainers: plugins.map((p) => ({
                  name: pluginContainerName(p),
                  image: p,
                  volumeMounts: [{ name: 'plugins', mountPath: '/target' }],
                })),
              }
            : {}),
          containers: [
            {
              name: 'velero',
              image,
              command: ['/velero'],
              args: ['server'],
              ports: [{ name: 'metrics', containerPort: 8085 }],
              volumeMounts: [{ name: 'plugins', mountPath: '/plugins' }],
            },
          ],
          volumes: [{ name: 'plugins', emptyDir: {} }],
        },
      },
    },
  };
}

/**
 * What `velero install --provider aws` leaves in a cluster, minus the server: the CRDs, the namespace,
 * the credentials Secret (an AWS credentials file) and a default BackupStorageLocation.
 */
export async function installVelero(kube: KubeApi, v: VeleroInstall): Promise<void> {
  const release = veleroRelease(v.version);
  await installVeleroCrds(kube, release.version, v.clock);
  // a previous lab's `lab down` deletes this namespace; a real server refuses content in it until it is gone
  await untilNotTerminating(kube, v.namespace, v.clock ?? systemClock);
  // create, or bring an existing object (a previous lab's) in line with these settings
  const create = async (o: KubeObject): Promise<void> => {
    const ref = {
      apiVersion: o.apiVersion!,
      kind: o.kind!,
      namespace: o.metadata?.namespace,
      name: o.metadata?.name ?? '',
    };
    if (!(await kube.get(ref))) await kube.create(o);
    else if (o.kind !== 'Namespace' && o.kind !== 'ServiceAccount')
      await kube.patch(ref, { spec: o.spec, data: o.data });
  };
  await create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: v.namespace, labels: { 'app.kubernetes.io/name': 'velero' } },
  });
  const ini = `[default]\naws_access_key_id=${v.settings.credentials?.accessKeyId ?? ''}\naws_secret_access_key=${v.settings.credentials?.secretAccessKey ?? ''}\n`;
  await create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cloud-credentials', namespace: v.namespace },
    type: 'Opaque',
    data: { cloud: Buffer.from(ini).toString('base64') },
  });
  await create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'velero', namespace: v.namespace, labels: { component: 'velero' } },
  });
  await create(serverDeployment(v.namespace, v.image ?? release.image, [release.awsPlugin.image]));
  await create({
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name: v.bsl, namespace: v.namespace },
    spec: {
      provider: 'aws',
      default: true,
      ...(v.validationFrequency ? { validationFrequency: v.validationFrequency } : {}),
      objectStorage: {
        bucket: v.settings.bucket,
        ...(v.settings.prefix ? { prefix: v.settings.prefix.replace(/\/$/, '') } : {}),
      },
      credential: { name: 'cloud-credentials', key: 'cloud' },
      config: {
        region: v.settings.region,
        ...(v.settings.endpoint
          ? { s3Url: v.settings.endpoint, s3ForcePathStyle: String(v.settings.forcePathStyle) }
          : {}),
      },
    },
  });
}

/** A bucket with Object Lock on and a default retention covering the backup TTL (plus a day). */
export async function prepareBucket(
  store: ObjectStore,
  opts: { objectLock: boolean; retentionDays: number },
): Promise<void> {
  try {
    await store.checkAccess();
    return; // exists: leave it as it is
  } catch (e) {
    if ((e as { code?: string }).code !== 'S3_NO_BUCKET') throw e;
  }
  await store.createBucket({ objectLock: opts.objectLock });
  if (opts.objectLock) await store.setDefaultRetention('GOVERNANCE', opts.retentionDays);
}
