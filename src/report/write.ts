import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../drill/types.js';
import { htmlReport } from './html.js';
import { junit } from './junit.js';
import { retrospective } from './retrospective.js';

/** Writes result.json (the evidence), retrospective.md, junit.xml and report.html next to the journal. */
export async function writeReports(dir: string, r: DrillResult): Promise<string[]> {
  const files = [
    join(dir, 'result.json'),
    join(dir, 'retrospective.md'),
    join(dir, 'junit.xml'),
    join(dir, 'report.html'),
  ];
  await writeFile(files[0]!, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(files[1]!, retrospective(r));
  await writeFile(files[2]!, junit(r));
  await writeFile(files[3]!, htmlReport(r));
  return files;
}
