/** A Kubernetes timestamp (RFC 3339, whole seconds), as metav1.Time serialises. */
export function k8sTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Seconds from a to b (timestamps or dates). */
export function secondsBetween(a: string | Date, b: string | Date): number {
  return (new Date(b).getTime() - new Date(a).getTime()) / 1000;
}
