import { getJson, sourceError, type AlertSource, type HttpGet } from './source.js';
import type { SeenAlert } from './types.js';

interface RulesAnswer {
  status?: string;
  data?: {
    groups?: {
      rules?: {
        type?: string;
        name?: string;
        duration?: number;
        alerts?: { labels?: Record<string, string>; state?: string; activeAt?: string }[];
      }[];
    }[];
  };
}

/**
 * Prometheus's rules API (`GET /api/v1/rules?type=alert`). An alert's activeAt is when it became
 * pending; it fires `for` later, so that is its firing time (to within one evaluation interval).
 */
export function prometheusSource(get: HttpGet, where: string): AlertSource {
  const name = `Prometheus ${where}`;
  return {
    name,
    async firing(signal) {
      const body = (await getJson(get, name, '/api/v1/rules?type=alert', signal)) as RulesAnswer;
      if (body?.status !== 'success' || !Array.isArray(body.data?.groups))
        throw sourceError(name, 'did not answer GET /api/v1/rules like a Prometheus');
      const out: SeenAlert[] = [];
      for (const g of body.data.groups)
        for (const r of g.rules ?? []) {
          if (r.type !== 'alerting') continue;
          for (const a of r.alerts ?? []) {
            if (a.state !== 'firing' || !a.activeAt) continue;
            const at = Date.parse(a.activeAt) + (r.duration ?? 0) * 1000;
            out.push({ labels: { alertname: r.name ?? '', ...a.labels }, firedAt: new Date(at).toISOString() });
          }
        }
      return out;
    },
  };
}
