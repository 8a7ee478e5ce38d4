import { benchAudit } from './audit.js';
import { benchDetect } from './detect.js';
import { benchDrill } from './drill.js';
import { benchFaults } from './faults.js';
import { benchInventory } from './inventory.js';
import { benchKube } from './kube.js';
import { benchLargeDrill } from './large-drill.js';
import { benchLabBackup } from './lab-backup.js';
import { benchS3 } from './s3.js';

/**
 * `npm run bench [-- section…]`: ratios measured side by side in one run. Sections: kube, s3, backup, drill, audit, faults, detect, inventory, large-drill
 * (KDRILL_BENCH_FAULT_DRILLS, default 50, and KDRILL_BENCH_FAULT_AUDITS, default 20, size faults;
 * KDRILL_BENCH_DETECT_ALERTS and KDRILL_BENCH_SAMPLING_SECONDS size detect;
 * KDRILL_BENCH_INVENTORY_BIG=1 adds 100,000 objects to inventory, KDRILL_BENCH_AUDIT_VERSIONS sizes audit,
 * KDRILL_BENCH_DRILL_OBJECTS (5000) sizes large-drill).
 * Real servers are measured too when KDRILL_TEST_KUBECONFIG / KDRILL_TEST_S3_ENDPOINT are set.
 */
const sections: Record<string, () => Promise<void>> = {
  kube: benchKube,
  s3: benchS3,
  backup: benchLabBackup,
  drill: benchDrill,
  audit: benchAudit,
  faults: benchFaults,
  detect: benchDetect,
  inventory: benchInventory,
  'large-drill': benchLargeDrill,
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  const run = sections[name];
  if (!run) {
    console.error(`unknown bench section "${name}"; known: ${Object.keys(sections).join(', ')}`);
    process.exitCode = 2;
    break;
  }
  await run();
}
