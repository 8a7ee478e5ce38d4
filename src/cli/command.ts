import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';

/** The parser a top-level command is added to (yargs' own default: no options yet). */
export type Root = Record<never, never>;

/** How a handler's result reaches `main`: the exit code of the run, never process.exit(). */
export interface CliContext {
  setExit(code: number): void;
}

/**
 * A command as data, the way the aws-cdk CLI declares them: its usage line, its options (the
 * builder, usually `.options(SOME_OPTIONS)`) and a handler typed by what the builder declares. The
 * handler returns the exit code, or nothing for 0.
 */
export interface CommandSpec<U, T = Root> {
  command: string;
  describe: string | false;
  builder: (y: Argv<T>) => Argv<U>;
  run: (args: ArgumentsCamelCase<U>) => Promise<number | void>;
}

/** The yargs CommandModule of a spec, its exit code going to `ctx`. */
export function toModule<U, T = Root>(spec: CommandSpec<U, T>, ctx: CliContext): CommandModule<T, U> {
  return {
    command: spec.command,
    describe: spec.describe,
    builder: spec.builder,
    handler: async (args) => {
      const code = await spec.run(args);
      if (code !== undefined) ctx.setExit(code);
    },
  };
}

/** A spec whose handler is typed by its builder: `builder: (c: Argv) => c.options(…)` gives `run` its args. */
export function defineCommand<U, T = Root>(spec: CommandSpec<U, T>): CommandSpec<U, T> {
  return spec;
}

/** The parsed arguments of a builder, for helpers a handler hands them to. */
export type ArgsOf<B extends (y: never) => unknown> = ArgumentsCamelCase<
  ReturnType<B> extends Argv<infer U> ? U : never
>;
