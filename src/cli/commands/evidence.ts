import type { Argv, Options } from 'yargs';
import { ExitCode } from '../../errors.js';
import type { PeriodReport } from '../../evidence/period.js';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { outputOption } from '../options.js';
import { formatData, isData, printData } from '../output.js';

const warn = (m: string): void => void process.stderr.write(`warning: ${m}\n`);

const keygen = defineCommand({
  command: 'keygen <prefix>',
  describe:
    'Make an Ed25519 key pair for signing packs: <prefix>.key (mode 0600, keep it secret) and <prefix>.pub (give it to your auditor)',
  builder: (c: Argv) =>
    c.positional('prefix', { type: 'string', demandOption: true }).example('$0 evidence keygen ~/.kdrill/signing', ''),
  run: async (a) => {
    const { generateKeys, shortId } = await import('../../evidence/keys.js');
    const r = generateKeys(a.prefix);
    process.stdout.write(`wrote ${r.keyFile} (secret) and ${r.pubFile}; key ${shortId(r.keyId)}\n`);
  },
});

const PACK_OPTIONS = {
  'sign-key': { type: 'string', describe: 'Ed25519 private key (kdrill evidence keygen) to sign with' },
  out: { alias: 'o', type: 'string', describe: 'The pack (default: <dir>/kdrill-evidence-<scenario>-<run>.tar.gz)' },
} as const satisfies Record<string, Options>;

const pack = defineCommand({
  command: 'pack <dir>',
  describe:
    "Seal a run's evidence in one .tar.gz: its reports, journal, scenario as run, audit, versions, the controls it evidences, and manifest.json with every file's SHA-256, signed with --sign-key",
  builder: (c: Argv) =>
    c
      .positional('dir', { type: 'string', demandOption: true, describe: 'The run directory kdrill run wrote' })
      .options(PACK_OPTIONS)
      .example('$0 evidence pack drill-reports/namespace-loss-20261201T020000Z --sign-key ~/.kdrill/signing.key', ''),
  run: async (a) => {
    const { packRun } = await import('../../evidence/pack.js');
    const { shortId } = await import('../../evidence/keys.js');
    const r = await packRun({ runDir: a.dir, signKey: a.signKey, out: a.out, now: new Date(), warn });
    const evidenced = r.manifest.controls.filter((x) => x.status === 'evidenced').map((x) => x.id);
    process.stdout.write(
      `wrote ${r.file}: ${r.manifest.files.length} files, ${r.keyId ? `signed by key ${shortId(r.keyId)}` : 'NOT signed (give --sign-key)'}; controls evidenced: ${evidenced.join(', ') || 'none'}\n`,
    );
  },
});

const VERIFY_OPTIONS = {
  pub: {
    type: 'string',
    describe: "The signer's public key (<prefix>.pub): without it the signature is not checked against a key you trust",
  },
  output: outputOption(['text', 'json', 'yaml']),
} as const satisfies Record<string, Options>;

const verify = defineCommand({
  command: 'verify <file>',
  describe:
    'Check a pack: every file against manifest.json, the signature over the manifest (against --pub), the journal hash chain; exit 0 intact, 3 changed (naming what), 2 not a pack',
  builder: (c: Argv) =>
    c
      .positional('file', { type: 'string', demandOption: true })
      .options(VERIFY_OPTIONS)
      .example('$0 evidence verify kdrill-evidence-namespace-loss-1a2b3c4d.tar.gz --pub signing.pub', ''),
  run: async (a) => {
    const { verifyPack, renderVerify } = await import('../../evidence/verify.js');
    const { loadPublicKey } = await import('../../evidence/keys.js');
    const r = await verifyPack(a.file, a.pub ? loadPublicKey(a.pub) : undefined);
    if (isData(a.output)) await printData(a.output, r);
    else process.stdout.write(renderVerify(r));
    return r.intact ? undefined : ExitCode.ObjectivesBreached;
  },
});

const REPORT_OPTIONS = {
  history: {
    type: 'string',
    default: 'drill-reports/history',
    describe: 'The history: a directory or s3://bucket/prefix',
  },
  'history-endpoint': {
    type: 'string',
    describe: 'S3 endpoint of an s3:// history (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
  },
  since: {
    type: 'string',
    default: '90d',
    describe: 'Start of the period: a duration back from --until (90d) or a date (2026-01-01)',
  },
  until: { type: 'string', describe: 'End of the period, a date (default: now)' },
  scenarios: {
    type: 'string',
    array: true,
    describe: 'Scenario files or directories: their requiredEvery finds gaps, also for scenarios that never ran',
  },
  output: outputOption(['markdown', 'html', 'json', 'yaml'], 'markdown or html for people; json or yaml: the data'),
  out: { type: 'string', describe: 'Write the report to this file instead of stdout' },
} as const satisfies Record<string, Options>;

async function renderPeriod(r: PeriodReport, output: string): Promise<string> {
  if (isData(output)) return formatData(output, r);
  if (output === 'html') return (await import('../../evidence/period-html.js')).periodHtml(r);
  return (await import('../../evidence/period-markdown.js')).periodMarkdown(r);
}

const report = defineCommand({
  command: 'report',
  describe:
    "An auditor's summary of a period: drills and restore tests per scenario, RTO/RPO against objectives with the trend, backups tested, lock verified, controls evidenced, open action items, and gaps (a scenario's requiredEvery without a run); exit 3 on a P1/P2 finding",
  builder: (c: Argv) =>
    c
      .options(REPORT_OPTIONS)
      .example(
        '$0 evidence report --history s3://drill-history/kdrill --since 365d --scenarios scenarios/ -o html --out dr-2026.html',
        '',
      ),
  run: async (a) => {
    const { evidenceReport } = await import('../../evidence/report-service.js');
    const r = await evidenceReport({
      history: { history: a.history, historyEndpoint: a.historyEndpoint },
      since: a.since,
      until: a.until,
      scenarios: a.scenarios ?? [],
      now: new Date(),
    });
    const text = await renderPeriod(r, a.output);
    if (a.out) await (await import('node:fs/promises')).writeFile(a.out, text);
    else process.stdout.write(text);
    return r.findings.some((f) => f.severity !== 'P3') ? ExitCode.ObjectivesBreached : undefined;
  },
});

/** `kdrill evidence keygen|pack|verify|report`: evidence an auditor accepts. */
export function registerEvidence(y: Argv, ctx: CliContext): void {
  y.command(
    'evidence',
    'Evidence for auditors: signed, tamper-evident packs of a run, and the report of a period',
    (c) =>
      c
        .command(toModule(keygen, ctx))
        .command(toModule(pack, ctx))
        .command(toModule(verify, ctx))
        .command(toModule(report, ctx))
        .demandCommand(1, 'Name an evidence command: keygen, pack, verify or report.'),
  );
}
