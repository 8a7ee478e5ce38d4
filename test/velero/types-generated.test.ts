import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OUTPUT, generateVeleroTypes } from '../../scripts/gen-velero-types.js';

describe('src/velero/types.generated.ts', () => {
  it('is what `npm run gen:velero-types` makes of the CRDs in assets/crds/velero (regenerating changes nothing)', async () => {
    expect(await generateVeleroTypes()).toBe(readFileSync(OUTPUT, 'utf8'));
  });

  it('carries what the CRDs declare: phases as unions, nil times as null, ObjectMeta as metadata', async () => {
    const text = await generateVeleroTypes();
    const restoreStatus = text.slice(text.indexOf('export interface RestoreStatus {'));
    expect(restoreStatus).toMatch(/phase\?:\s*\| 'New'\s*\| 'FailedValidation'[\s\S]*?\| 'FinalizingPartiallyFailed';/);
    expect(text).toMatch(/lastValidationTime\?: string \| null;/);
    expect(text).toMatch(/export interface Backup \{[^}]*metadata\?: ObjectMeta;/s);
    expect(text).not.toMatch(/DeleteBackupRequest/);
  });
});
