/** One label matcher in Alertmanager's syntax: `name="value"`, `name!=value`, `name=~regex`, `name!~regex`. */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses a matcher, or says what is wrong with it (for the scenario's validation message). */
export function parseMatcher(text: string): Matcher | string {
  const m = MATCHER.exec(text);
  if (!m) return `"${text}" is not a label matcher: write name="value", name!="value", name=~"regex" or name!~"regex"`;
  let value = m[3]!;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    value = value.slice(1, -1).replace(/\\"/g, '"');
  const op = m[2] as Matcher['op'];
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      return `"${text}": ${(e as Error).message}`;
    }
  }
  return { name: m[1]!, op, value };
}

/** As Alertmanager matches: regexes are anchored, and a missing label is the empty string. */
export function matches(labels: Record<string, string>, ms: Matcher[]): boolean {
  return ms.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}

export const matcherText = (m: Matcher): string => `${m.name}${m.op}${JSON.stringify(m.value)}`;

/** The matchers of an expected alert: its name, its exact labels, then its matchers. */
export function expectationMatchers(e: {
  alert: string;
  labels?: Record<string, string>;
  matchers?: string[];
}): Matcher[] {
  const out: Matcher[] = [{ name: 'alertname', op: '=', value: e.alert }];
  for (const [name, value] of Object.entries(e.labels ?? {})) out.push({ name, op: '=', value });
  for (const t of e.matchers ?? []) {
    const m = parseMatcher(t);
    if (typeof m !== 'string') out.push(m);
  }
  return out;
}

/** A stable key of a label set: the same alert instance across polls, sources and the receiver. */
export const labelsKey = (labels: Record<string, string>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
