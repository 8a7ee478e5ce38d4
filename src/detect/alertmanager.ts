import { getJson, sourceError, type AlertSource, type HttpGet } from './source.js';
import type { SeenAlert } from './types.js';

interface GettableAlert {
  labels?: Record<string, string>;
  startsAt?: string;
  status?: { state?: string };
}

/**
 * Alertmanager's API v2 (`GET /api/v2/alerts`): every alert it holds that has not resolved, with the
 * time Prometheus said it started firing (startsAt), silenced or inhibited ones as `suppressed`.
 */
export function alertmanagerSource(get: HttpGet, where: string): AlertSource {
  const name = `Alertmanager ${where}`;
  return {
    name,
    async firing(signal) {
      const body = await getJson(get, name, '/api/v2/alerts?active=true&silenced=true&inhibited=true', signal);
      if (!Array.isArray(body)) throw sourceError(name, 'did not answer GET /api/v2/alerts with a list of alerts');
      const out: SeenAlert[] = [];
      for (const a of body as GettableAlert[]) {
        if (!a.labels || !a.startsAt) continue;
        out.push({
          labels: a.labels,
          firedAt: new Date(a.startsAt).toISOString(),
          ...(a.status?.state === 'suppressed' ? { suppressed: true } : {}),
        });
      }
      return out;
    },
  };
}
