import type { Argv } from 'yargs';
import { userInfo } from 'node:os';

interface HistoryArgs {
  history: string;
  historyEndpoint?: string;
  scenario?: string;
}

const historyOptions = <T>(c: Argv<T>) =>
  c
    .option('history', {
      type: 'string',
      default: 'drill-reports/history',
      describe: 'The history the runs were recorded in: a directory or s3://bucket/prefix',
    })
    .option('history-endpoint', {
      type: 'string',
      describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
    })
    .option('scenario', { type: 'string', describe: 'Only this scenario' });

const where = (a: HistoryArgs) => ({ history: a.history, historyEndpoint: a.historyEndpoint });

function list(c: Argv): Argv {
  return c.command(
    'list',
    'The open action items of every drill in the history (and, with --all, the closed ones)',
    (k) =>
      historyOptions(k)
        .option('all', { type: 'boolean', default: false, describe: 'Also the closed ones, with what was done' })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const }),
    async (a) => {
      const args = a as unknown as HistoryArgs & { all: boolean; output: string };
      const { readActions } = await import('../../actions/service.js');
      const { markdownChecklist } = await import('../../actions/export.js');
      const st = await readActions(where(args), args.scenario);
      const closed = args.all ? st.closed.filter((c) => !args.scenario || c.item.scenario === args.scenario) : [];
      process.stdout.write(
        args.output === 'json'
          ? `${JSON.stringify({ history: st.where, open: st.open, closed }, null, 2)}\n`
          : markdownChecklist(st.open, closed),
      );
    },
  );
}

function exportItems(c: Argv): Argv {
  return c.command(
    'export',
    'Write the open action items as GitHub issues (a JSON list of title, body, labels for `gh issue create`) or as a Markdown checklist',
    (k) =>
      historyOptions(k)
        .option('format', { choices: ['github', 'markdown'] as const, demandOption: true })
        .option('run', { type: 'string', describe: "Instead of the history: one run's items (its result.json)" })
        .example(
          `$0 actions export --format github | jq -c '.[]' | while read -r i; do gh issue create --title "$(jq -r .title <<<"$i")" --body "$(jq -r .body <<<"$i")"; done`,
          'one GitHub issue per open item',
        ),
    async (a) => {
      const args = a as unknown as HistoryArgs & { format: 'github' | 'markdown'; run?: string };
      const { githubIssue, markdownChecklist } = await import('../../actions/export.js');
      let items;
      if (args.run) items = await (await import('../../actions/from-run.js')).actionsOfRun(args.run);
      else items = (await (await import('../../actions/service.js')).readActions(where(args), args.scenario)).open;
      process.stdout.write(
        args.format === 'github' ? `${JSON.stringify(items.map(githubIssue), null, 2)}\n` : markdownChecklist(items),
      );
    },
  );
}

function close(c: Argv): Argv {
  return c.command(
    'close <id>',
    'Record in the history that an action item was done: the next drill of its scenario no longer carries it over',
    (k) =>
      historyOptions(k)
        .positional('id', { type: 'string', demandOption: true, describe: 'The item id, e.g. 1a2b3c4d-1' })
        .option('note', { type: 'string', demandOption: true, describe: 'What was done (kept with the closing)' })
        .option('by', { type: 'string', describe: 'Who closes it (default: your user name)' })
        .example('$0 actions close 1a2b3c4d-1 --note "Schedule nightly now includes thanos-rules"', ''),
    async (a) => {
      const args = a as unknown as HistoryArgs & { id: string; note: string; by?: string };
      const { closeAction } = await import('../../actions/service.js');
      const r = await closeAction(where(args), args.id, {
        by: args.by ?? process.env.USER ?? userInfo().username,
        note: args.note,
        now: new Date(),
      });
      process.stdout.write(`closed ${r.item.id} (${r.item.scenario}: ${r.item.code}); recorded in ${r.where}\n`);
    },
  );
}

/** `kdrill actions list|export|close`: the action items drills raise, from the history. */
export function registerActions(y: Argv): void {
  y.command(
    'actions',
    "The drills' action items: list them, export them as GitHub issues or a checklist, close them",
    (c) => close(exportItems(list(c))).demandCommand(1, 'Name an actions command: list, export or close.'),
  );
}
