import type { LabLauncher } from '../drill/lab-port.js';

// the lab package is loaded on first use only: `kdrill run` without --lab never loads it
const control = () => import('../../packages/lab/src/control.js');

/** The lab package behind the drill's LabLauncher port. */
export const labLauncher: LabLauncher = {
  up: async (o) => (await control()).labUp(o),
  down: async (dir) => (await control()).labDown(dir),
  running: async (dir) => (await (await control()).labStatus(dir)).running,
};
