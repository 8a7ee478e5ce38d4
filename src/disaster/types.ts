import type { CommandRunner } from '../exec/command.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { DisasterStep } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';

/** What undoes a disaster step; plain data, so the journal can carry it across a crash. */
export type Revert =
  | { kind: 'start-nodes'; nodes: string[]; via: 'lab' | 'kind' | 'command'; command?: string[] }
  | { kind: 'command'; argv: string[] };

export interface InjectContext {
  kube: KubeApi;
  clock: Clock;
  exec: CommandRunner;
  signal?: AbortSignal;
  /**
   * How nodes are stopped here: the lab's node status, kind's docker containers, or a user command.
   * Asked only by a step that stops nodes: finding out lists nodes, which a drill's RBAC grants only then.
   */
  nodeControl: () => Promise<'lab' | 'kind' | 'none'>;
}

export interface Injected {
  detail: string;
  revert?: Revert;
}

export type DisasterType = DisasterStep['type'];
/** The step of one disaster type, as the scenario schema gives it. */
export type StepOf<T extends DisasterType> = Extract<DisasterStep, { type: T }>;
