/** Go's duration strings as Velero writes them: "720h0m0s", "24h", "90m", "1m30s", "500ms". */
export function parseGoDuration(s: string | undefined, fallbackMs: number): number {
  if (!s) return fallbackMs;
  let ms = 0;
  let matched = false;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    matched = true;
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return matched ? ms : fallbackMs;
}
