import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_DIST_DIR } from '../http/web.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STAMP = '.build-stamp';
/** What the web build reads: its own sources, the browser-safe verifier, and the locked packages. */
const INPUTS = ['web', 'src/verify', 'package-lock.json'];

function walk(target: string, out: string[]): void {
  if (!existsSync(target)) return;
  const stat = statSync(target);
  if (stat.isFile()) {
    if (!target.endsWith('.test.ts')) out.push(`${path.relative(ROOT, target)}:${stat.size}:${Math.trunc(stat.mtimeMs)}`);
    return;
  }
  for (const name of readdirSync(target).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    walk(path.join(target, name), out);
  }
}

/** A fingerprint of every input file (path, size, modification time). */
function webSourceFingerprint(root = ROOT): string {
  const entries: string[] = [];
  for (const input of INPUTS) walk(path.join(root, input), entries);
  return createHash('sha256').update(entries.join('\n')).digest('hex');
}

export function isWebBuildFresh(distDir = WEB_DIST_DIR): boolean {
  const stamp = path.join(distDir, STAMP);
  return existsSync(path.join(distDir, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === webSourceFingerprint();
}

/** Builds the web apps with Vite into dist/web. */
export async function buildWeb(options: { distDir?: string } = {}): Promise<void> {
  const fingerprint = webSourceFingerprint();
  const { build } = await import('vite');
  // One build per page (the resident app first: it empties the folder), so that no page's
  // first load carries modules of another app.
  // Always a production build: inside vitest NODE_ENV is "test", and Vite would then bundle
  // React's development build (about 60 KB more gzipped on every page).
  const before = { app: process.env.YIBAN_WEB_APP, nodeEnv: process.env.NODE_ENV };
  const restore = (name: 'YIBAN_WEB_APP' | 'NODE_ENV', value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  process.env.NODE_ENV = 'production';
  try {
    for (const app of ['resident', 'console', 'kiosk', 'verify']) {
      process.env.YIBAN_WEB_APP = app;
      await build({
        configFile: path.join(ROOT, 'web/vite.config.ts'),
        mode: 'production',
        ...(options.distDir ? { build: { outDir: options.distDir } } : {}),
      });
    }
  } finally {
    restore('YIBAN_WEB_APP', before.app);
    restore('NODE_ENV', before.nodeEnv);
  }
  writeFileSync(path.join(options.distDir ?? WEB_DIST_DIR, STAMP), `${fingerprint}\n`);
}

/**
 * `npm start` builds the web apps when the build is missing or older than its sources, so that
 * `npm install && npm start` serves the pages. Without Vite (a production install without dev
 * dependencies) an existing build is served as it is, and a missing one only disables the pages.
 */
export async function ensureWebBuilt(log: (line: string) => void = (l) => console.error(l)): Promise<'fresh' | 'built' | 'unavailable'> {
  if (!existsSync(path.join(ROOT, 'web/vite.config.ts')))
    return existsSync(path.join(WEB_DIST_DIR, 'index.html')) ? 'fresh' : 'unavailable';
  if (isWebBuildFresh()) return 'fresh';
  try {
    await import('vite');
  } catch {
    log('未安装 Vite，网页未构建 / Vite is not installed: the web pages are not built (npm install)');
    return existsSync(path.join(WEB_DIST_DIR, 'index.html')) ? 'fresh' : 'unavailable';
  }
  log('构建网页 / building the web apps (vite build)…');
  const started = Date.now();
  await buildWeb();
  log(`网页已构建 / web apps built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}
