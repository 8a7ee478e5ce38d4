/** Runs a program the way kdrill runs user commands: an argv, never a shell. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CommandRunner {
  run(
    argv: string[],
    o?: { timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string>; onOutput?: (chunk: string) => void },
  ): Promise<CommandResult>;
  /** Runs a zx script with the zx that ships with kdrill. */
  runZx(
    script: string,
    o?: { timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string> },
  ): Promise<CommandResult>;
}
