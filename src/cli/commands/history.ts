import type { Argv, Options } from 'yargs';
import { DEFAULT_REGRESSION_FLOOR_SECONDS } from '../../history/trend.js';
import { secondsArg } from '../coerce.js';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { outputOption } from '../options.js';
import { isData, printData } from '../output.js';

const HISTORY_OPTIONS = {
  scenario: { type: 'string', describe: 'Only this scenario' },
  history: {
    type: 'string',
    default: 'drill-reports/history',
    describe: 'The history: a directory or s3://bucket/prefix (as given to kdrill run --history)',
  },
  'history-endpoint': {
    type: 'string',
    describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
  },
  output: outputOption(['text', 'json', 'yaml'], 'json or yaml: the records with their regression flags'),
  'regression-floor': {
    type: 'number',
    default: DEFAULT_REGRESSION_FLOOR_SECONDS,
    describe: 'Seconds: an RTO at or below this is never a regression (sub-second lab noise is not one)',
    coerce: secondsArg('regression-floor', 'e.g. --regression-floor 30'),
  },
} as const satisfies Record<string, Options>;

/** `kdrill history`: past drills, RTO over time, and regressions. */
const history = defineCommand({
  command: 'history',
  describe:
    'Show past drills: a table, an RTO sparkline per scenario and mode, and regressions (RTO >20% above the median of the 5 runs before of the same scenario and mode, and above --regression-floor); exits 3 when the newest run of a scenario regressed',
  builder: (c: Argv) =>
    c
      .options(HISTORY_OPTIONS)
      .example('$0 history --scenario namespace-loss', 'the local history of one scenario')
      .example(
        '$0 history --history s3://drill-history/kdrill -o json',
        'the shared history, for a dashboard or a script',
      ),
  run: async (a) => {
    const { openHistory } = await import('../../history/open.js');
    const { withRegressions } = await import('../../history/trend.js');
    const store = openHistory({ history: a.history, historyEndpoint: a.historyEndpoint })!;
    const rows = withRegressions(await store.list(a.scenario), { floorSeconds: a.regressionFloor });
    if (isData(a.output)) await printData(a.output, { history: store.where, runs: rows });
    else {
      const { renderHistory } = await import('../../history/render.js');
      process.stdout.write(renderHistory(rows, store.where, a.regressionFloor));
    }
    // a regression in the newest run of a scenario (in any mode) is worth a non-zero exit in CI
    const newest = new Map(rows.map((r) => [`${r.scenario}\0${r.mode ?? 'run'}`, r]));
    return [...newest.values()].some((r) => r.regression) ? 3 : undefined;
  },
});

export function registerHistory(y: Argv, ctx: CliContext): void {
  y.command(toModule(history, ctx));
}
