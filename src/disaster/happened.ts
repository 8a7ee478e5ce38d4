import { DrillError, ExitCode } from '../errors.js';
import type { InjectContext } from './types.js';

/** Polls until `check` holds: a disaster step is done only once it really happened. */
export async function until(
  ctx: InjectContext,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = ctx.clock.now().getTime() + timeoutMs;
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
