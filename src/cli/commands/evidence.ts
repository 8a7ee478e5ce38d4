import type { Argv } from 'yargs';
import { ExitCode } from '../../errors.js';

interface PackArgs {
  dir: string;
  signKey?: string;
  out?: string;
}
interface VerifyArgs {
  file: string;
  pub?: string;
  output: 'text' | 'json';
}
interface ReportArgs {
  history: string;
  historyEndpoint?: string;
  since: string;
  until?: string;
  scenarios?: string[];
  output: 'markdown' | 'html' | 'json';
  out?: string;
}

const warn = (m: string): void => void process.stderr.write(`warning: ${m}\n`);

function keygen(c: Argv): Argv {
  return c.command(
    'keygen <prefix>',
    'Make an Ed25519 key pair for signing packs: <prefix>.key (mode 0600, keep it secret) and <prefix>.pub (give it to your auditor)',
    (k) =>
      k
        .positional('prefix', { type: 'string', demandOption: true })
        .example('$0 evidence keygen ~/.kdrill/signing', ''),
    async (a) => {
      const { generateKeys, shortId } = await import('../../evidence/keys.js');
      const r = generateKeys((a as unknown as { prefix: string }).prefix);
      process.stdout.write(`wrote ${r.keyFile} (secret) and ${r.pubFile}; key ${shortId(r.keyId)}\n`);
    },
  );
}

function pack(c: Argv): Argv {
  return c.command(
    'pack <dir>',
    "Seal a run's evidence in one .tar.gz: its reports, journal, scenario as run, audit, versions, the controls it evidences, and manifest.json with every file's SHA-256, signed with --sign-key",
    (k) =>
      k
        .positional('dir', { type: 'string', demandOption: true, describe: 'The run directory kdrill run wrote' })
        .option('sign-key', { type: 'string', describe: 'Ed25519 private key (kdrill evidence keygen) to sign with' })
        .option('out', {
          alias: 'o',
          type: 'string',
          describe: 'The pack (default: <dir>/kdrill-evidence-<scenario>-<run>.tar.gz)',
        })
        .example('$0 evidence pack drill-reports/namespace-loss-20261201T020000Z --sign-key ~/.kdrill/signing.key', ''),
    async (a) => {
      const args = a as unknown as PackArgs;
      const { packRun } = await import('../../evidence/pack.js');
      const { shortId } = await import('../../evidence/keys.js');
      const r = await packRun({ runDir: args.dir, signKey: args.signKey, out: args.out, now: new Date(), warn });
      const evidenced = r.manifest.controls.filter((x) => x.status === 'evidenced').map((x) => x.id);
      process.stdout.write(
        `wrote ${r.file}: ${r.manifest.files.length} files, ${r.keyId ? `signed by key ${shortId(r.keyId)}` : 'NOT signed (give --sign-key)'}; controls evidenced: ${evidenced.join(', ') || 'none'}\n`,
      );
    },
  );
}

function verify(c: Argv, setExit: (code: number) => void): Argv {
  return c.command(
    'verify <file>',
    'Check a pack: every file against manifest.json, the signature over the manifest (against --pub), the journal hash chain; exit 0 intact, 3 changed (naming what), 2 not a pack',
    (k) =>
      k
        .positional('file', { type: 'string', demandOption: true })
        .option('pub', {
          type: 'string',
          describe:
            "The signer's public key (<prefix>.pub): without it the signature is not checked against a key you trust",
        })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const })
        .example('$0 evidence verify kdrill-evidence-namespace-loss-1a2b3c4d.tar.gz --pub signing.pub', ''),
    async (a) => {
      const args = a as unknown as VerifyArgs;
      const { verifyPack, renderVerify } = await import('../../evidence/verify.js');
      const { loadPublicKey } = await import('../../evidence/keys.js');
      const r = await verifyPack(args.file, args.pub ? loadPublicKey(args.pub) : undefined);
      process.stdout.write(args.output === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderVerify(r));
      if (!r.intact) setExit(ExitCode.ObjectivesBreached);
    },
  );
}

function report(c: Argv, setExit: (code: number) => void): Argv {
  return c.command(
    'report',
    "An auditor's summary of a period: drills and restore tests per scenario, RTO/RPO against objectives with the trend, backups tested, lock verified, controls evidenced, open action items, and gaps (a scenario's requiredEvery without a run); exit 3 on a P1/P2 finding",
    (k) =>
      k
        .option('history', {
          type: 'string',
          default: 'drill-reports/history',
          describe: 'The history: a directory or s3://bucket/prefix',
        })
        .option('history-endpoint', {
          type: 'string',
          describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
        })
        .option('since', {
          type: 'string',
          default: '90d',
          describe: 'Start of the period: a duration back from --until (90d) or a date (2026-01-01)',
        })
        .option('until', { type: 'string', describe: 'End of the period, a date (default: now)' })
        .option('scenarios', {
          type: 'string',
          array: true,
          describe: 'Scenario files or directories: their requiredEvery finds gaps, also for scenarios that never ran',
        })
        .option('output', { alias: 'o', choices: ['markdown', 'html', 'json'] as const, default: 'markdown' as const })
        .option('out', { type: 'string', describe: 'Write the report to this file instead of stdout' })
        .example(
          '$0 evidence report --history s3://drill-history/kdrill --since 365d --scenarios scenarios/ -o html --out dr-2026.html',
          '',
        ),
    async (a) => {
      const args = a as unknown as ReportArgs;
      const { evidenceReport } = await import('../../evidence/report-service.js');
      const r = await evidenceReport({
        history: { history: args.history, historyEndpoint: args.historyEndpoint },
        since: args.since,
        until: args.until,
        scenarios: args.scenarios ?? [],
        now: new Date(),
      });
      const { periodMarkdown } = await import('../../evidence/period-markdown.js');
      const { periodHtml } = await import('../../evidence/period-html.js');
      const text =
        args.output === 'json'
          ? `${JSON.stringify(r, null, 2)}\n`
          : args.output === 'html'
            ? periodHtml(r)
            : periodMarkdown(r);
      if (args.out) await (await import('node:fs/promises')).writeFile(args.out, text);
      else process.stdout.write(text);
      if (r.findings.some((f) => f.severity !== 'P3')) setExit(ExitCode.ObjectivesBreached);
    },
  );
}

/** `kdrill evidence keygen|pack|verify|report`: evidence an auditor accepts. */
export function registerEvidence(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'evidence',
    'Evidence for auditors: signed, tamper-evident packs of a run, and the report of a period',
    (c) =>
      report(verify(pack(keygen(c)), setExit), setExit).demandCommand(
        1,
        'Name an evidence command: keygen, pack, verify or report.',
      ),
  );
}
