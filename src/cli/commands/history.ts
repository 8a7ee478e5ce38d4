import type { Argv } from 'yargs';

interface HistoryArgs {
  scenario?: string;
  history: string;
  historyEndpoint?: string;
  output: 'text' | 'json';
}

/** `kdrill history`: past drills, RTO over time, and regressions. */
export function registerHistory(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'history',
    'Show past drills: a table, an RTO sparkline per scenario, and regressions (RTO >20% above the median of the 5 runs before); exits 3 when the newest run of a scenario regressed',
    (c) =>
      c
        .option('scenario', { type: 'string', describe: 'Only this scenario' })
        .option('history', { type: 'string', default: 'drill-reports/history', describe: 'The history: a directory or s3://bucket/prefix (as given to kdrill run --history)' })
        .option('history-endpoint', { type: 'string', describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)' })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'json: the records with their regression flags' })
        .example('$0 history --scenario namespace-loss', 'the local history of one scenario')
        .example('$0 history --history s3://drills/kdrill-history -o json', 'the shared history, for a dashboard or a script'),
    async (a) => {
      const args = a as unknown as HistoryArgs;
      const { openHistory } = await import('../../history/open.js');
      const { withRegressions } = await import('../../history/trend.js');
      const store = openHistory({ history: args.history, historyEndpoint: args.historyEndpoint })!;
      const rows = withRegressions(await store.list(args.scenario));
      if (args.output === 'json') process.stdout.write(`${JSON.stringify({ history: store.where, runs: rows }, null, 2)}\n`);
      else {
        const { renderHistory } = await import('../../history/render.js');
        process.stdout.write(renderHistory(rows, store.where));
      }
      // a regression in the newest run of a scenario is worth a non-zero exit in CI
      const newest = new Map(rows.map((r) => [r.scenario, r]));
      if ([...newest.values()].some((r) => r.regression)) setExit(3);
    },
  );
}
