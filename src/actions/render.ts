import type { ActionItem, DrillResult } from '../drill/types.js';
import { isOverdue } from './open.js';
import type { CarriedActionItem } from './types.js';

const day = (iso: string): string => iso.slice(0, 10);

/** What a tracked item adds to its line: its id, owner and due date, and the run that raised it first. */
export function actionMeta(a: ActionItem, runId?: string): string {
  if (!a.id) return '';
  const since = a.raisedIn && a.raisedIn !== runId ? `, open since run ${a.raisedIn} (${day(a.raisedAt ?? '')})` : '';
  return ` · \`${a.id}\` · owner ${a.owner ?? '—'} · due ${a.due ?? '—'}${since}`;
}

const what = (a: CarriedActionItem): string => `${a.code}${a.object ? ` \`${a.object}\`` : ''}: ${a.action}`;

/** One carried-over item as a checklist line. */
export function carriedLine(a: CarriedActionItem, now: Date): string {
  const overdue = isOverdue(a, now) ? ' · **overdue**' : '';
  return `- [ ] **${a.severity}** \`${a.id}\` ${what(a)} · owner ${a.owner} · due ${a.due}${overdue} (carried over from run ${a.raisedIn}, ${day(a.raisedAt)})`;
}

const CLOSE_HINT = 'Close one when it is done: `kdrill actions close <id> --note "what was done"`.';

/** The retrospective's section on the items earlier drills left open. */
export function carriedOverSection(r: DrillResult): string[] {
  const items = r.carriedOver ?? [];
  if (!items.length) return [];
  const now = new Date(r.startedAt);
  return [
    '',
    `## Carried over from earlier runs (${items.length})`,
    '',
    `Action items earlier drills of ${r.scenario} raised that are still open. ${CLOSE_HINT}`,
    '',
    ...items.map((a) => carriedLine(a, now)),
  ];
}

/** What `kdrill plan` prints about the items still open for this scenario. */
export function planCarriedOver(items: CarriedActionItem[], now: Date, note?: string): string {
  if (note) return `\nOpen action items: ${note}\n`;
  if (!items.length) return '\nOpen action items from earlier runs: none\n';
  const line = (a: CarriedActionItem): string =>
    `  - ${a.severity} ${a.id} ${what(a).replace(/`/g, '')}; owner ${a.owner}, due ${a.due}${isOverdue(a, now) ? ' (OVERDUE)' : ''}; carried over from run ${a.raisedIn} (${day(a.raisedAt)})`;
  return `\nOpen action items from earlier runs (${items.length}), carried over into this drill:\n${items.map(line).join('\n')}\n  ${CLOSE_HINT}\n`;
}
