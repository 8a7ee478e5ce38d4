import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { expectCleanError, kdrill } from '../support/cli.js';

const run = promisify(execFile);

const hasKubectl = ((): boolean => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('entry points', () => {
  it('package.json names both bins: kdrill and the kubectl plugin kubectl-kdrill', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ kdrill: 'bin/kdrill.mjs', 'kubectl-kdrill': 'bin/kubectl-kdrill.mjs' });
  });

  it(
    hasKubectl
      ? 'kubectl kdrill --help: kubectl finds the plugin on PATH and runs it'
      : 'kubectl-kdrill --help, run directly: no kubectl on this machine to find it on PATH',
    async () => {
      // on PATH under the name npm gives it: a link named kubectl-kdrill, as `npm install -g` makes
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-plugin-'));
      await symlink(resolve('bin/kubectl-kdrill.mjs'), join(dir, 'kubectl-kdrill'));
      const env = { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` };
      const r = hasKubectl
        ? await run('kubectl', ['kdrill', '--help'], { env })
        : await run(join(dir, 'kubectl-kdrill'), ['--help'], { env });
      expect(r.stdout).toMatch(/Usage: kubectl kdrill <command> \[options\]/);
      expect(r.stdout).toMatch(/kubectl kdrill run <scenario>/);
      const v = hasKubectl
        ? await run('kubectl', ['kdrill', 'validate', 'scenarios/namespace-loss.yaml'], { env })
        : await run(join(dir, 'kubectl-kdrill'), ['validate', 'scenarios/namespace-loss.yaml'], { env });
      expect(v.stdout).toContain('ok (namespace-loss)');
    },
  );

  it("the AWS SDK's Node-version warning is not shown, through the SDK's own switch", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-sdkwarn-'));
    const creds = join(dir, 'creds.ini');
    await writeFile(creds, '[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n');
    // an S3 client is made (and would warn) before the connection is refused
    const r = await kdrill(
      ['audit', '--s3-endpoint', 'http://127.0.0.1:9', '--bucket', 'velero', '--s3-credentials-file', creds],
      {
        env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined },
      },
    );
    expectCleanError(r, 4, /cannot reach S3/);
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|will require node/);
    // the same client without kdrill's setting: on Node before 22 the SDK does warn, so the check above means something
    const control = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { S3Client } from '@aws-sdk/client-s3'; new S3Client({ region: 'us-east-1' });",
      ],
      { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '' } },
    );
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) expect(control.stderr).toMatch(/NodeVersionSupportWarning/);
    else expect(control.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });
});
