// The one seam between the lab and kdrill's core: everything the lab uses of the core comes through here.
// The core never imports the lab (an eslint rule says so); the lab depends on these ports and adapters.
export * from '../../../src/assets.js';
export * from '../../../src/backupstore/aws-object-store.js';
export * from '../../../src/backupstore/bsl.js';
export * from '../../../src/backupstore/object-store.js';
export * from '../../../src/backupstore/tarball.js';
export * from '../../../src/disaster/lab-nodes.js';
export * from '../../../src/errors.js';
export * from '../../../src/fs/make-dir.js';
export * from '../../../src/kube/client-node.js';
export * from '../../../src/kube/errors.js';
export * from '../../../src/kube/kube-api.js';
export * from '../../../src/kube/labels.js';
export * from '../../../src/kube/types.js';
export * from '../../../src/lab-registry.js';
export * from '../../../src/time/clock.js';
export * from '../../../src/time/cron.js';
export * from '../../../src/time/go-duration.js';
export * from '../../../src/time/k8s-time.js';
export * from '../../../src/xml-escape.js';
