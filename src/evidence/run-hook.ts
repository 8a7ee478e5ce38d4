import { readActions } from '../actions/service.js';
import { trackActionItems } from '../actions/track.js';
import type { CarriedActionItem } from '../actions/types.js';
import type { DrillResult } from '../drill/types.js';
import type { HistoryOptions } from '../history/open.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Scenario } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';
import { controlsOf } from './mapping.js';
import { readVersions } from './versions.js';

export interface EvidenceContext {
  scenario: Scenario;
  /** The clusters the run touched: their Kubernetes and Velero versions go in the evidence. */
  kubes: KubeApi[];
  /** Where earlier runs are remembered: their open action items are carried over. */
  history?: HistoryOptions;
  /** Who owns this run's action items (default: the drill leader). */
  owner?: string;
  clock: Clock;
  info: (message: string) => void;
}

/** Items earlier runs of the scenario left open; a history that cannot be read is said, and the run goes on. */
async function openEarlier(r: DrillResult, x: EvidenceContext): Promise<CarriedActionItem[]> {
  if (!x.history?.history) return [];
  try {
    return (await readActions(x.history, r.scenario)).open.filter((a) => a.raisedIn !== r.runId);
  } catch (e) {
    const why = `open action items of earlier runs not read from the history: ${(e as Error).message}`;
    x.info(`warning: ${why}`);
    r.notes.push(why);
    return [];
  }
}

/**
 * What the evidence needs beyond the drill itself, added before the reports are written: the versions
 * that ran, the action items tracked (id, owner, due date; open ones of earlier runs carried over), and
 * the controls the run evidences.
 */
export async function completeEvidence(r: DrillResult, x: EvidenceContext): Promise<void> {
  r.versions = await readVersions(x.kubes, x.scenario.spec.backup.veleroNamespace, x.clock);
  const requiredEvery = x.scenario.spec.requiredEvery;
  if (requiredEvery) r.requiredEverySeconds = requiredEvery;
  const t = trackActionItems(r.actionItems, {
    runId: r.runId,
    startedAt: r.startedAt,
    endedAt: new Date(r.endedAt),
    owner: x.owner ?? r.drill.leader,
    open: await openEarlier(r, x),
    requiredEverySeconds: requiredEvery,
  });
  r.actionItems = t.items;
  r.carriedOver = t.carriedOver;
  if (t.carriedOver.length)
    x.info(
      `${t.carriedOver.length} action item(s) of earlier runs still open, carried over: ${t.carriedOver.map((a) => a.id).join(', ')}`,
    );
  r.controls = controlsOf(r, x.scenario);
}
