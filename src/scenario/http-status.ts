import { z } from 'zod';

/** The HTTP status a probe expects: what the http check and the availability sampler both take. */
export const expectStatus = (): z.ZodDefault<z.ZodNumber> =>
  z.number().int().min(100, 'an HTTP status is 100 to 599').max(599, 'an HTTP status is 100 to 599').default(200);
