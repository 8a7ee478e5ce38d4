/**
 * How to start this same CLI again (node, its flags - a loader under tsx - and the script), for the
 * background lab and the `kdrill` shim that runbook steps call.
 */
export function selfArgv(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}
