import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);

interface Instr {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions, continuation lines joined and comments dropped, with the stage each is in. */
function instructions(text: string): Instr[] {
  const out: Instr[] = [];
  let stage = -1;
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    if (op!.toUpperCase() === 'FROM') stage++;
    out.push({ op: op!.toUpperCase(), args: rest.join(' '), stage });
  }
  return out;
}

describe('Dockerfile (it cannot be built here: no Docker engine)', async () => {
  const text = await readFile('Dockerfile', 'utf8');
  const ins = instructions(text);
  const last = Math.max(...ins.map((i) => i.stage));
  const final = ins.filter((i) => i.stage === last);
  const ignored = (await readFile('.dockerignore', 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

  it('builds and runs on node:24-slim, a Node that .ci/run tests on, as a non-root, numeric user', async () => {
    expect(ins.filter((i) => i.op === 'FROM').map((i) => i.args.split(' ')[0])).toEqual([
      'node:24-slim',
      'node:24-slim',
    ]);
    // the tiers .ci/run runs on other Nodes include the image's
    expect(await readFile('.ci/run', 'utf8')).toMatch(/for major in 22 24\b/);
    const user = final.filter((i) => i.op === 'USER').pop()?.args ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('names only files that exist in the build context and are not ignored by .dockerignore', () => {
    const copies = ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(3);
    for (const c of copies) {
      const parts = c.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(src), `COPY ${src}`).toBe(true);
        expect(ignored.includes(src.replace(/\/$/, '')), `COPY ${src} is in .dockerignore`).toBe(false);
      }
    }
  });

  it('copies the bundle the build stage makes with scripts/build.mjs', async () => {
    const build = ins.filter((i) => i.stage === 0);
    expect(build.some((i) => i.op === 'RUN' && i.args.includes('scripts/build.mjs'))).toBe(true);
    expect(final.find((i) => i.op === 'COPY' && i.args.startsWith('--from=build'))?.args).toBe(
      '--from=build /src/dist dist',
    );
    // the build writes beside dist and swaps the result in as dist
    const script = await readFile('scripts/build.mjs', 'utf8');
    expect(script).toMatch(/const dist = new URL\('\.\.\/dist\/'/);
    expect(script).toMatch(/await rename\(fresh, dist\)/);
  });

  /** /app as the final stage lays it out, from this checkout (dist/ is built by npm ci); `skip` leaves sources out. */
  async function layout(skip: (src: string) => boolean = () => false): Promise<string> {
    const app = await mkdtemp(join(tmpdir(), 'kdrill-image-'));
    expect(final.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
    for (const c of final.filter((i) => i.op === 'COPY')) {
      const parts = c.args.replace(/^--from=build\s+\/src\//, '').split(/\s+/);
      const dest = parts.pop()!;
      for (const src of parts.filter((p) => !skip(p)))
        await cp(src, join(app, dest.endsWith('/') || dest === './' ? src : dest), { recursive: true });
    }
    return app;
  }
  const entry = (app: string): string[] => {
    const e = JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(e).toEqual(['node', '/app/bin/kdrill.mjs']);
    return e.slice(1).map((a) => a.replace(/^\/app\//, `${app}/`));
  };

  it("its entrypoint runs the bundle: the final stage's files alone, without node_modules, run kdrill", async () => {
    // zx is in the image for script: steps only; the bundle itself must not need it
    const app = await layout((src) => src.startsWith('node_modules/'));
    expect(existsSync(join(app, 'node_modules'))).toBe(false);
    const argv = entry(app);
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    const help = await run(process.execPath, [...argv, ...cmd], { cwd: app });
    expect(help.stdout).toMatch(/kdrill: Kubernetes disaster-recovery drills, measured/);
    const version = await run(process.execPath, [...argv, '--version'], { cwd: app });
    expect(version.stdout.trim()).toBe(
      (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version,
    );
    // the shipped scenarios are in the image, and the bundle's schema reads them
    const v = await run(process.execPath, [...argv, 'validate', 'scenarios/namespace-loss.yaml'], { cwd: app });
    expect(v.stdout).toContain('ok (namespace-loss)');
  });

  it("a scenario's zx script: step runs from the image's files: a lab drill whose disaster starts with one", async () => {
    const app = await layout();
    expect(await readdir(join(app, 'node_modules'))).toEqual(['zx']);
    const work = await mkdtemp(join(tmpdir(), 'kdrill-image-zx-'));
    const marker = join(work, 'zx-ran');
    const script = join(work, 'disaster.mjs');
    // $ and fs are zx's globals: this runs only under zx's own CLI
    await writeFile(script, `await $\`true\`;\nawait fs.writeFile(${JSON.stringify(marker)}, typeof $);\n`);
    const s = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as { spec: { disaster: unknown[] } };
    s.spec.disaster.unshift({ type: 'command', script, timeout: '2m' });
    await writeFile(join(work, 'scenario.yaml'), stringify(s));
    const out = join(work, 'report');
    const r = await run(process.execPath, [...entry(app), 'run', join(work, 'scenario.yaml'), '--lab', '--out', out], {
      cwd: app,
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(await readFile(marker, 'utf8').catch(() => `not written; stderr: ${r.stderr}`)).toBe('function');
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as { verdict: string };
    expect(result.verdict, r.stderr).toBe('pass');
  }, 180_000);
});
