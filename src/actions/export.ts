import type { ActionEvent, CarriedActionItem } from './types.js';

/** A GitHub issue to create from an item: `gh issue create --title … --body … --label …`. */
export interface GithubIssue {
  title: string;
  body: string;
  labels: string[];
}

const what = (a: CarriedActionItem): string => `${a.object ? `\`${a.object}\`: ` : ''}${a.action}`;

export function githubIssue(a: CarriedActionItem): GithubIssue {
  return {
    title: `[${a.severity}] ${a.scenario}: ${a.code}${a.object ? ` (${a.object})` : ''}`,
    body: [
      `**What to do:** ${what(a)}`,
      '',
      `| | |`,
      `|---|---|`,
      `| Action item | \`${a.id}\` |`,
      `| Scenario | ${a.scenario} |`,
      `| Finding | ${a.severity} \`${a.code}\` |`,
      `| Owner | ${a.owner} |`,
      `| Due | ${a.due} |`,
      `| Raised by run | ${a.raisedIn} (${a.raisedAt}) |`,
      ...(a.seenIn.length > 1 ? [`| Raised again by | ${a.seenIn.slice(1).join(', ')} |`] : []),
      '',
      `When it is done, record it in the drill history (the next drill then no longer carries it over):`,
      '',
      '```sh',
      `kdrill actions close ${a.id} --note "what was done"`,
      '```',
      '',
    ].join('\n'),
    labels: ['kdrill', 'dr-drill', a.severity],
  };
}

/** The items as a Markdown checklist, by scenario; closed items (when given) are ticked, with what was done. */
export function markdownChecklist(
  open: CarriedActionItem[],
  closed: { item: CarriedActionItem; closed: ActionEvent }[] = [],
): string {
  const scenarios = [...new Set([...open, ...closed.map((c) => c.item)].map((a) => a.scenario))].sort();
  if (!scenarios.length) return '# Drill action items\n\nNone open.\n';
  const L = ['# Drill action items', ''];
  for (const s of scenarios) {
    L.push(`## ${s}`, '');
    for (const a of open.filter((x) => x.scenario === s))
      L.push(`- [ ] **${a.severity}** \`${a.id}\` ${what(a)} (owner ${a.owner}, due ${a.due}, from run ${a.raisedIn})`);
    for (const { item: a, closed: e } of closed.filter((x) => x.item.scenario === s))
      L.push(`- [x] **${a.severity}** \`${a.id}\` ${what(a)} (closed ${e.at.slice(0, 10)} by ${e.by}: ${e.note})`);
    L.push('');
  }
  return L.join('\n');
}
