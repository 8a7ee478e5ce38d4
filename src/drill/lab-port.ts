/**
 * How a drill gets an ephemeral lab (`--lab`) without the core importing the lab: the CLI hands in an
 * implementation that loads the lab package only when it is called.
 */
export interface LabLauncher {
  up(o: {
    dir: string;
    hardened?: boolean | 'deny' | 'warn';
    self: string[];
    extraArgs?: string[];
  }): Promise<{ kubeconfig: string; contexts: string[]; monitoring?: LabMonitoring }>;
  down(dir: string): Promise<unknown>;
  running(dir: string): Promise<boolean>;
}

/** The lab's monitoring (`kdrill lab up --monitoring`): where its servers answer, and where its Alertmanager sends. */
export interface LabMonitoring {
  prometheus: string;
  alertmanager: string;
  /** host:port the lab's Alertmanager posts its webhook to: kdrill's receiver listens there. */
  receiver: string;
}
