import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../drill/types.js';
import { junit } from './junit.js';
import { retrospective } from './retrospective.js';

/** Writes result.json (the evidence), retrospective.md and junit.xml next to the journal. */
export async function writeReports(dir: string, r: DrillResult): Promise<string[]> {
  const files = [join(dir, 'result.json'), join(dir, 'retrospective.md'), join(dir, 'junit.xml')];
  await writeFile(files[0]!, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(files[1]!, retrospective(r));
  await writeFile(files[2]!, junit(r));
  return files;
}
