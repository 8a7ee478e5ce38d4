import { execFileSync } from 'node:child_process';

/** The CLI end-to-end tests run what ships: bundle the current source once before any test. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
