import { z } from 'zod';
import { positiveDuration } from './duration.js';

const label = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a lowercase DNS label, e.g. "thanos-rt"');

/** The run id is 8 hex digits: `<ns>-rt-<run id>` must still be a namespace name (63 characters). */
export const RUN_ID_LENGTH = 8;
export const MAX_NAMESPACE = 63;
const DEFAULT_SUFFIX = `-rt-${'x'.repeat(RUN_ID_LENGTH)}`;

/** What can pass a sandbox's deny-all NetworkPolicy when the scenario asks for it. */
export const SANDBOX_ALLOW = ['dns', 'api-server', 'sandbox'] as const;

/** `spec.sandbox`: where a restore test restores, and how it is fenced off. */
export const sandboxSchema = z.strictObject({
  namespaces: z
    .record(z.string(), label.max(MAX_NAMESPACE, 'a namespace name is at most 63 characters'))
    .optional()
    .meta({
      description:
        'The sandbox namespace of each source namespace; default <namespace>-rt-<run id>. Fixed names let `kdrill schedule` grant delete on those names only',
    }),
  ttl: positiveDuration('the sandbox TTL').prefault('6h').meta({
    description:
      'How long a sandbox may live: its kdrill.dev/expires label; `kdrill gc` removes expired ones a crashed run left',
  }),
  allow: z.array(z.enum(SANDBOX_ALLOW)).default([]).meta({
    description:
      'What the deny-all NetworkPolicy lets through: dns (egress to kube-dns), api-server (egress to the API server, and ingress from it for the http check through its proxy), sandbox (traffic between the sandbox namespaces of the run). Default: nothing',
  }),
});

export type SandboxSpec = z.output<typeof sandboxSchema>;

/** The parts of a scenario spec the restore-test rules read (the schema's output, loosely). */
interface SpecView {
  mode: 'drill' | 'restore-test';
  target: { namespaces: string[] };
  backup: { take: boolean };
  disaster: unknown[];
  recovery: { mode: string; existingResourcePolicy: string; allowExisting: boolean };
  verify: { type: string; url?: string; namespaces?: string[]; service?: { namespace: string } }[];
  sentinel?: { command?: unknown; namespace?: string };
  sandbox?: SandboxSpec;
}

type Issue = { path: (string | number)[]; message: string };

/** What a drill (mode: drill) must and must not have. */
function drillRules(spec: SpecView): Issue[] {
  const out: Issue[] = [];
  if (!spec.disaster.length)
    out.push({
      path: ['disaster'],
      message:
        'a drill needs at least one disaster step; to prove a backup without destroying anything, set `mode: restore-test`',
    });
  if (spec.sandbox)
    out.push({ path: ['sandbox'], message: '`sandbox` belongs to `mode: restore-test`; a drill restores in place' });
  return out;
}

/** A verify step of a restore test must be aimed at a source namespace (kdrill turns it to its sandbox). */
function verifyRules(spec: SpecView): Issue[] {
  const out: Issue[] = [];
  const sources = spec.target.namespaces;
  const notSource = (n: string): string =>
    `namespace "${n}" is not a source namespace (target.namespaces): name the source; kdrill aims the check at its sandbox`;
  spec.verify.forEach((v, i) => {
    if (v.type === 'http' && v.url)
      out.push({
        path: ['verify', i, 'url'],
        message:
          'a url would reach production, not the sandbox: probe the Service through the API server proxy instead (service: {namespace: <source>, name, port, path})',
      });
    if (v.service && !sources.includes(v.service.namespace))
      out.push({ path: ['verify', i, 'service', 'namespace'], message: notSource(v.service.namespace) });
    for (const n of v.namespaces ?? [])
      if (!sources.includes(n)) out.push({ path: ['verify', i, 'namespaces'], message: notSource(n) });
  });
  if (spec.sentinel?.command)
    out.push({
      path: ['sentinel', 'command'],
      message: 'the sentinel command reads the application in production, not the sandbox: use the ConfigMap sentinel',
    });
  if (spec.sentinel?.namespace && !sources.includes(spec.sentinel.namespace))
    out.push({ path: ['sentinel', 'namespace'], message: notSource(spec.sentinel.namespace) });
  return out;
}

/** Sandbox names: one per source, new names (never a source), short enough with the default suffix. */
function sandboxNameRules(spec: SpecView): Issue[] {
  const out: Issue[] = [];
  const given = spec.sandbox?.namespaces ?? {};
  const sources = spec.target.namespaces;
  for (const [src, to] of Object.entries(given)) {
    if (!sources.includes(src))
      out.push({
        path: ['sandbox', 'namespaces', src],
        message: `"${src}" is not a source namespace (target.namespaces: ${sources.join(', ')})`,
      });
    if (sources.includes(to))
      out.push({
        path: ['sandbox', 'namespaces', src],
        message: `"${to}" is a source namespace: a sandbox must never be production`,
      });
  }
  const names = Object.values(given);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  for (const n of new Set(twice))
    out.push({ path: ['sandbox', 'namespaces'], message: `"${n}" is the sandbox of two source namespaces` });
  for (const src of sources)
    if (!given[src] && src.length + DEFAULT_SUFFIX.length > MAX_NAMESPACE)
      out.push({
        path: ['target', 'namespaces'],
        message: `the sandbox of "${src}" would be ${src}${DEFAULT_SUFFIX.replace(/x+$/, '<run id>')}, longer than 63 characters: name it in sandbox.namespaces`,
      });
  return out;
}

/** What a restore test (mode: restore-test) must and must not have: it restores into a sandbox and destroys nothing. */
function restoreTestRules(spec: SpecView): Issue[] {
  const out: Issue[] = [];
  if (spec.disaster.length)
    out.push({
      path: ['disaster'],
      message: 'a restore test has no disaster: remove spec.disaster, or set `mode: drill`',
    });
  if (spec.backup.take)
    out.push({
      path: ['backup', 'take'],
      message:
        'a restore test proves the backups you already have: `take: true` would back up (and write a sentinel into) production first; use `from: latest`, `name` or `pick: random`',
    });
  if (spec.recovery.mode !== 'velero')
    out.push({ path: ['recovery', 'mode'], message: 'a restore test restores with Velero into its sandbox' });
  if (spec.recovery.existingResourcePolicy !== 'none')
    out.push({
      path: ['recovery', 'existingResourcePolicy'],
      message: 'a restore test never updates an object that exists (a volume, a CRD): leave it at "none"',
    });
  if (spec.recovery.allowExisting)
    out.push({
      path: ['recovery', 'allowExisting'],
      message: 'a sandbox is always new (an existing one is refused): drop allowExisting',
    });
  return [...out, ...verifyRules(spec), ...sandboxNameRules(spec)];
}

/** The cross-field rules of `spec.mode`, as zod issues on the spec. */
export function modeRules(spec: SpecView, ctx: z.RefinementCtx): void {
  for (const i of spec.mode === 'restore-test' ? restoreTestRules(spec) : drillRules(spec))
    ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
}
