import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { IDLE_SOCKET_MS } from '../http/idle-socket.js';

// what makes two connections interchangeable: the TLS identity of the client and what it trusts
const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(text).join(',');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * client-node's KubeConfig makes a new Agent for every request (applyToHTTPSOptions), so every call to
 * the API server opened a new TCP connection, and on a real cluster a new TLS handshake. This keeps one
 * keep-alive Agent per TLS identity instead: credentials that rotate (a new client certificate from an
 * exec plugin) get a new one. Proxy agents (proxy-url in the kubeconfig) are left as client-node made them.
 */
export class KeepAliveAgents {
  // one at a time: a rotated identity replaces the one before
  private kept?: { id: string; agent: HttpAgent };

  /** Swaps the request's fresh Agent for the kept one with the same TLS identity. */
  apply(opts: RequestOptions): void {
    const made = opts.agent;
    if (!made || (made.constructor !== HttpsAgent && made.constructor !== HttpAgent)) return;
    const tls = (made as HttpAgent & { options: Record<string, unknown> }).options;
    const id = `${made.constructor.name}|${TLS_FIELDS.map((f) => text(tls[f])).join('|')}`;
    if (this.kept?.id !== id) {
      // the old identity's idle sockets close
      this.kept?.agent.destroy();
      const o = { ...tls, keepAlive: true, timeout: IDLE_SOCKET_MS };
      this.kept = { id, agent: made.constructor === HttpsAgent ? new HttpsAgent(o) : new HttpAgent(o) };
    }
    opts.agent = this.kept.agent;
  }
}
