import type { Argv } from 'yargs';
import { usageError } from '../../errors.js';
import { DEFAULT_REGRESSION_FLOOR_SECONDS } from '../../history/trend.js';

interface HistoryArgs {
  scenario?: string;
  history: string;
  historyEndpoint?: string;
  output: 'text' | 'json';
  regressionFloor: number;
}

/** `kdrill history`: past drills, RTO over time, and regressions. */
export function registerHistory(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'history',
    'Show past drills: a table, an RTO sparkline per scenario and mode, and regressions (RTO >20% above the median of the 5 runs before of the same scenario and mode, and above --regression-floor); exits 3 when the newest run of a scenario regressed',
    (c) =>
      c
        .option('scenario', { type: 'string', describe: 'Only this scenario' })
        .option('history', {
          type: 'string',
          default: 'drill-reports/history',
          describe: 'The history: a directory or s3://bucket/prefix (as given to kdrill run --history)',
        })
        .option('history-endpoint', {
          type: 'string',
          describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
        })
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe: 'json: the records with their regression flags',
        })
        .option('regression-floor', {
          type: 'number',
          default: DEFAULT_REGRESSION_FLOOR_SECONDS,
          describe: 'Seconds: an RTO at or below this is never a regression (sub-second lab noise is not one)',
        })
        .example('$0 history --scenario namespace-loss', 'the local history of one scenario')
        .example(
          '$0 history --history s3://drill-history/kdrill -o json',
          'the shared history, for a dashboard or a script',
        ),
    async (a) => {
      const args = a as unknown as HistoryArgs;
      if (!Number.isFinite(args.regressionFloor) || args.regressionFloor < 0)
        throw usageError(
          `--regression-floor ${args.regressionFloor} is not a number of seconds`,
          'e.g. --regression-floor 30',
        );
      const { openHistory } = await import('../../history/open.js');
      const { withRegressions } = await import('../../history/trend.js');
      const store = openHistory({ history: args.history, historyEndpoint: args.historyEndpoint })!;
      const rows = withRegressions(await store.list(args.scenario), { floorSeconds: args.regressionFloor });
      if (args.output === 'json')
        process.stdout.write(`${JSON.stringify({ history: store.where, runs: rows }, null, 2)}\n`);
      else {
        const { renderHistory } = await import('../../history/render.js');
        process.stdout.write(renderHistory(rows, store.where, args.regressionFloor));
      }
      // a regression in the newest run of a scenario (in any mode) is worth a non-zero exit in CI
      const newest = new Map(rows.map((r) => [`${r.scenario}\0${r.mode ?? 'run'}`, r]));
      if ([...newest.values()].some((r) => r.regression)) setExit(3);
    },
  );
}
