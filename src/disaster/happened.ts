import { DrillError, ExitCode } from '../errors.js';
import type { InjectContext } from './types.js';

/** How long a disaster may take to show: a namespace's finalizers, a node's heartbeat. */
const HAPPENS_WITHIN_MS = 120_000;

/** Polls until `check` holds: a disaster step is done only once it really happened. */
export async function until(ctx: InjectContext, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = ctx.clock.now().getTime() + HAPPENS_WITHIN_MS;
  while (!(await check())) {
    if (ctx.clock.now().getTime() > deadline)
      throw new DrillError(
        'DISASTER_NOT_HAPPENED',
        `the disaster did not happen: ${what}`,
        ExitCode.ObjectivesBreached,
        { hint: 'a drill that cannot fail is worthless: check what keeps it alive' },
      );
    await ctx.clock.sleep(200, ctx.signal);
  }
}
