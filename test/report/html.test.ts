import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { htmlReport } from '../../src/report/html.js';
import { kdrill } from '../support/cli.js';

const CHROMIUM = process.env.KDRILL_TEST_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM}: run .ci/run (it installs Debian's chromium), or set KDRILL_TEST_CHROMIUM`;

/** Pixels of the screenshot near each colour, counted by the browser itself (a canvas decodes the PNG). */
async function countColours(
  browser: Browser,
  png: Buffer,
  colours: Record<string, [number, number, number]>,
): Promise<Record<string, number>> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ({ b64, colours }) => {
        // runs in the page: the browser's DOM, typed here by hand (the tests' lib has no DOM)
        interface Canvas {
          width: number;
          height: number;
          getContext(t: '2d'): {
            drawImage(i: unknown, x: number, y: number): void;
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          } | null;
        }
        const w = globalThis as unknown as {
          Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
          document: { createElement(t: 'canvas'): Canvas };
        };
        const img = new w.Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = w.document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const out: Record<string, number> = Object.fromEntries(Object.keys(colours).map((k) => [k, 0]));
        for (let i = 0; i < d.length; i += 4) {
          for (const [k, [r, gg, b]] of Object.entries(colours))
            if (Math.abs(d[i]! - r) + Math.abs(d[i + 1]! - gg) + Math.abs(d[i + 2]! - b) < 30) out[k]!++;
        }
        return out;
      },
      { b64: png.toString('base64'), colours },
    );
  } finally {
    await page.close();
  }
}

describe.skipIf(skip !== undefined)(`report.html in headless Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let browser: Browser;
  let dir: string;
  let result: DrillResult;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kdrill-html-'));
    const r = await kdrill(['run', 'scenarios/namespace-loss.yaml', '--lab', '--out', join(dir, 'run')], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    result = JSON.parse(await readFile(join(dir, 'run', 'result.json'), 'utf8')) as DrillResult;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('is written next to retrospective.md, self-contained: nothing is fetched', async () => {
    const html = await readFile(join(dir, 'run', 'report.html'), 'utf8');
    expect(html).toBe(htmlReport(result));
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${join(dir, 'run', 'report.html')}`);
    expect(requests).toEqual([`file://${join(dir, 'run', 'report.html')}`]);
    await page.close();
  });

  it('renders the timeline chart: one bar per phase on a time axis, the RTO objective as a line, objectives and findings', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    await page.goto(`file://${join(dir, 'run', 'report.html')}`);
    const chart = page.locator('svg#timeline');
    const bars = await chart
      .locator('rect.phase')
      .evaluateAll((els) =>
        els.map((e) => ({ phase: e.getAttribute('data-phase'), ...e.getBoundingClientRect().toJSON() })),
      );
    expect(bars.map((b) => b.phase)).toEqual(result.timeline.map((t) => t.phase));
    for (const b of bars) expect(b.width, b.phase).toBeGreaterThan(0);
    // phases follow one another along the axis
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.x).toBeGreaterThanOrEqual(bars[i - 1]!.x);
    // a 4h RTO for a drill of seconds: an arrow off the chart, never a line that reads as a deadline among the bars
    expect(await chart.locator('line.rto').count()).toBe(0);
    await expect.poll(() => chart.locator('g.rto-beyond').count()).toBe(1);
    expect(await page.locator('text=/RTO objective 4h is off this chart/').count()).toBe(1);
    const tables = await page.locator('table').allInnerTexts();
    expect(tables[0]).toMatch(/RTO \(recovery time\)\s+4h\s+[\d.]+s\s+met/);
    expect(tables[0]).toMatch(/RPO \(data lost\)\s+1d/);
    expect(await page.locator('h2', { hasText: `Findings (${result.findings.length})` }).count()).toBe(1);
    expect(await page.locator('h2', { hasText: 'Action items (0)' }).count()).toBe(1);
    expect(tables.find((t) => t.startsWith('Restore'))).toMatch(
      /namespace-loss-\w+-1\s+include networkpolicies\.networking\.k8s\.io\s+Completed\s+0\s+0/,
    );

    const shot = await chart.screenshot();
    const px = await countColours(browser, shot, { bar: [0x2e, 0x7d, 0x32], rto: [0x15, 0x65, 0xc0] });
    // the bars and the objective line are really painted, not just present in the DOM
    expect(px.bar).toBeGreaterThan(500);
    expect(px.rto).toBeGreaterThan(50);
    await page.close();
  });

  it('draws an RTO that falls inside the drill as a dashed line on the axis', async () => {
    const inject = result.timeline.find((t) => t.phase === 'inject')!;
    const span = (Date.parse(result.endedAt) - Date.parse(inject.startedAt)) / 1000;
    const tight: DrillResult = {
      ...result,
      objectives: { ...result.objectives, rto: { ...result.objectives.rto, objectiveSeconds: span / 2 } },
    };
    const page = await browser.newPage();
    await page.setContent(htmlReport(tight));
    expect(await page.locator('svg#timeline line.rto').count()).toBe(1);
    expect(await page.locator('svg#timeline g.rto-beyond').count()).toBe(0);
    const px = await countColours(browser, await page.locator('svg#timeline').screenshot(), {
      rto: [0x15, 0x65, 0xc0],
    });
    expect(px.rto).toBeGreaterThan(50);
    await page.close();
  });

  it('shows a failed phase in red', async () => {
    const failed: DrillResult = {
      ...result,
      verdict: 'fail',
      timeline: result.timeline.map((t) => (t.phase === 'verify' ? { ...t, ok: false } : t)),
    };
    const page = await browser.newPage();
    await page.setContent(htmlReport(failed));
    const px = await countColours(browser, await page.locator('svg#timeline').screenshot(), {
      fail: [0xc6, 0x28, 0x28],
    });
    expect(px.fail).toBeGreaterThan(100);
    await page.close();
  });
});
