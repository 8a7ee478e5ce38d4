import { accessSync, constants } from 'node:fs';
import { DrillError, ExitCode } from '../core.js';

/** Where the binaries are: Debian's packages put them here; the variables point elsewhere. */
export const PROMETHEUS_ENV = 'KDRILL_PROMETHEUS';
export const ALERTMANAGER_ENV = 'KDRILL_ALERTMANAGER';
const DEFAULTS = { prometheus: '/usr/bin/prometheus', alertmanager: '/usr/bin/prometheus-alertmanager' };

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export interface MonitoringBinaries {
  prometheus: string;
  alertmanager: string;
}

/** The binaries, or why not: exit 4 with how to install them (the lab without monitoring needs none). */
export function monitoringBinaries(env: NodeJS.ProcessEnv = process.env): MonitoringBinaries {
  const b = {
    prometheus: env[PROMETHEUS_ENV] || DEFAULTS.prometheus,
    alertmanager: env[ALERTMANAGER_ENV] || DEFAULTS.alertmanager,
  };
  const missing = Object.entries(b).filter(([, p]) => !executable(p));
  if (missing.length)
    throw new DrillError(
      'LAB_NO_MONITORING',
      `the lab's monitoring needs Prometheus and Alertmanager: ${missing.map(([k, p]) => `${k} (${p})`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`,
      ExitCode.Precondition,
      {
        hint: `install Debian's packages: sudo apt-get install prometheus prometheus-alertmanager (the lab runs its own on free ports, whatever services they start), or set ${PROMETHEUS_ENV} and ${ALERTMANAGER_ENV} to the binaries; without --monitoring the lab needs neither`,
      },
    );
  return b;
}

/** Whether both are there, for tests that run against them only when they are. */
export function monitoringAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    monitoringBinaries(env);
    return true;
  } catch {
    return false;
  }
}
