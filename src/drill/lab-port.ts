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
  }): Promise<{ kubeconfig: string; contexts: string[] }>;
  down(dir: string): Promise<unknown>;
  running(dir: string): Promise<boolean>;
}
