import { userInfo } from 'node:os';
import type { Argv, Options } from 'yargs';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { outputOption } from '../options.js';
import { isData, printData } from '../output.js';

const HISTORY_OPTIONS = {
  history: {
    type: 'string',
    default: 'drill-reports/history',
    describe: 'The history the runs were recorded in: a directory or s3://bucket/prefix',
  },
  'history-endpoint': {
    type: 'string',
    describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
  },
  scenario: { type: 'string', describe: 'Only this scenario' },
} as const satisfies Record<string, Options>;

const where = (a: { history: string; historyEndpoint?: string }) => ({
  history: a.history,
  historyEndpoint: a.historyEndpoint,
});

const list = defineCommand({
  command: 'list',
  describe: 'The open action items of every drill in the history (and, with --all, the closed ones)',
  builder: (c: Argv) =>
    c.options(HISTORY_OPTIONS).options({
      all: { type: 'boolean', default: false, describe: 'Also the closed ones, with what was done' },
      output: outputOption(['text', 'json', 'yaml']),
    }),
  run: async (a) => {
    const { readActions } = await import('../../actions/service.js');
    const { markdownChecklist } = await import('../../actions/export.js');
    const st = await readActions(where(a), a.scenario);
    const closed = a.all ? st.closed.filter((c) => !a.scenario || c.item.scenario === a.scenario) : [];
    if (isData(a.output)) await printData(a.output, { history: st.where, open: st.open, closed });
    else process.stdout.write(markdownChecklist(st.open, closed));
  },
});

const exportItems = defineCommand({
  command: 'export',
  describe:
    'Write the open action items as GitHub issues (a JSON list of title, body, labels for `gh issue create`) or as a Markdown checklist',
  builder: (c: Argv) =>
    c
      .options(HISTORY_OPTIONS)
      .options({
        format: { choices: ['github', 'markdown'] as const, demandOption: true },
        run: { type: 'string', describe: "Instead of the history: one run's items (its result.json)" },
      })
      .example(
        `$0 actions export --format github | jq -c '.[]' | while read -r i; do gh issue create --title "$(jq -r .title <<<"$i")" --body "$(jq -r .body <<<"$i")"; done`,
        'one GitHub issue per open item',
      ),
  run: async (a) => {
    const { githubIssue, markdownChecklist } = await import('../../actions/export.js');
    const items = a.run
      ? await (await import('../../actions/from-run.js')).actionsOfRun(a.run)
      : (await (await import('../../actions/service.js')).readActions(where(a), a.scenario)).open;
    process.stdout.write(
      a.format === 'github' ? `${JSON.stringify(items.map(githubIssue), null, 2)}\n` : markdownChecklist(items),
    );
  },
});

const close = defineCommand({
  command: 'close <id>',
  describe:
    'Record in the history that an action item was done: the next drill of its scenario no longer carries it over',
  builder: (c: Argv) =>
    c
      .positional('id', { type: 'string', demandOption: true, describe: 'The item id, e.g. 1a2b3c4d-1' })
      .options(HISTORY_OPTIONS)
      .options({
        note: { type: 'string', demandOption: true, describe: 'What was done (kept with the closing)' },
        by: { type: 'string', describe: 'Who closes it (default: your user name)' },
      })
      .example('$0 actions close 1a2b3c4d-1 --note "Schedule nightly now includes thanos-rules"', ''),
  run: async (a) => {
    const { closeAction } = await import('../../actions/service.js');
    const r = await closeAction(where(a), a.id, {
      by: a.by ?? process.env.USER ?? userInfo().username,
      note: a.note,
      now: new Date(),
    });
    process.stdout.write(`closed ${r.item.id} (${r.item.scenario}: ${r.item.code}); recorded in ${r.where}\n`);
  },
});

/** `kdrill actions list|export|close`: the action items drills raise, from the history. */
export function registerActions(y: Argv, ctx: CliContext): void {
  y.command(
    'actions',
    "The drills' action items: list them, export them as GitHub issues or a checklist, close them",
    (c) =>
      c
        .command(toModule(list, ctx))
        .command(toModule(exportItems, ctx))
        .command(toModule(close, ctx))
        .demandCommand(1, 'Name an actions command: list, export or close.'),
  );
}
