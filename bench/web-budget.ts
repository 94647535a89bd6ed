/**
 * `npx tsx bench/web-budget.ts`: the JavaScript each web page loads first (its entry script and
 * the modules it preloads, not the chunks it loads on demand), gzipped, against the budgets of
 * issue 4: resident app ≤ 200 KB, verifier ≤ 150 KB. Builds the web apps first when the build
 * is missing or stale. Exits 1 when a budget is exceeded.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildWeb, isWebBuildFresh } from '../src/cli/web-build.ts';
import { WEB_DIST_DIR } from '../src/http/web.ts';

export const BUDGETS_KB: Record<string, number | null> = { resident: 200, verify: 150, console: null, kiosk: null };
const PAGES: Record<string, string> = {
  resident: 'index.html',
  console: 'console/index.html',
  kiosk: 'kiosk/index.html',
  verify: 'verify/index.html',
};

export interface EntryWeight {
  page: string;
  files: number;
  rawBytes: number;
  gzipBytes: number;
  budgetKb: number | null;
}

/** The first-load JavaScript of each page of a build. */
export function measureFirstLoad(distDir = WEB_DIST_DIR): EntryWeight[] {
  return Object.entries(PAGES).map(([page, html]) => {
    const text = readFileSync(path.join(distDir, html), 'utf8');
    const scripts = new Set<string>();
    for (const m of text.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g)) scripts.add(m[1]!);
    for (const m of text.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)) scripts.add(m[1]!);
    for (const m of text.matchAll(/<link[^>]*href="([^"]+\.js)"[^>]*rel="modulepreload"/g)) scripts.add(m[1]!);
    let rawBytes = 0;
    let gzipBytes = 0;
    for (const src of scripts) {
      const bytes = readFileSync(path.join(distDir, src));
      rawBytes += bytes.length;
      gzipBytes += gzipSync(bytes, { level: 9 }).length;
    }
    return { page, files: scripts.size, rawBytes, gzipBytes, budgetKb: BUDGETS_KB[page] ?? null };
  });
}

async function main(): Promise<void> {
  const started = process.cpuUsage();
  if (!isWebBuildFresh()) {
    const t0 = Date.now();
    await buildWeb();
    console.log(`built the web apps in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const rows = measureFirstLoad();
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('page      files   raw KB   gzip KB   budget KB   verdict');
  let over = false;
  for (const r of rows) {
    const kb = r.gzipBytes / 1024;
    const verdict = r.budgetKb === null ? '—' : kb <= r.budgetKb ? 'within' : 'OVER';
    if (verdict === 'OVER') over = true;
    console.log(
      `${r.page.padEnd(9)} ${String(r.files).padStart(5)} ${(r.rawBytes / 1024).toFixed(1).padStart(8)} ${kb.toFixed(1).padStart(9)} ${String(r.budgetKb ?? '—').padStart(11)}   ${verdict}`,
    );
  }
  const cpu = process.cpuUsage(started);
  console.log(`cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`);
  if (over) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
