import type { Priority } from './types.js';

/** kube-prometheus's severities in the guide's words; P1–P3 written as such mean themselves. */
const DEFAULT_PRIORITIES: Record<string, Priority> = {
  critical: 'P1',
  warning: 'P2',
  info: 'P3',
  p1: 'P1',
  p2: 'P2',
  p3: 'P3',
};

/** The priority an alert's label gives it: null when the label is missing or its value means nothing here. */
export function priorityOf(
  labels: Record<string, string>,
  label: string,
  map?: Record<string, Priority>,
): { priority: Priority | null; raw?: string } {
  const raw = labels[label];
  if (raw === undefined) return { priority: null };
  const table = map
    ? Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]))
    : DEFAULT_PRIORITIES;
  return { priority: table[raw.toLowerCase()] ?? null, raw };
}
