import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** The JSON Schema editors use (yaml-language-server modeline), generated from the zod schema. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return {
    ...s,
    $id: 'https://kdrill.dev/schemas/scenario-v1alpha1.json',
    title: 'kdrill Scenario (kdrill.dev/v1alpha1)',
  };
}
