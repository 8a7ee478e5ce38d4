import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's assets/ dir (Velero CRDs, the Thanos app), found from this module's location so it
 * works from src/ under tsx, from dist/ chunks, and from an installed package alike.
 */
export function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'assets', 'crds'))) return join(dir, 'assets');
    dir = dirname(dir);
  }
  throw new Error('kdrill assets/ not found next to the installed package');
}
