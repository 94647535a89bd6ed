import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { buildApp, openPlatform, type Platform } from '../../src/platform.ts';
import { loadConfig } from '../../src/core/config.ts';
import { buildWeb, isWebBuildFresh } from '../../src/cli/web-build.ts';
import { seedDemo } from '../../src/demo/demo-data.ts';
import type { App } from '../../src/http/server.ts';
import { raiseRateLimits } from '../../src/core/rate-limits.ts';
import type { CodeSender } from '../../src/modules/identity/code-senders.ts';
import type { NoticeSender } from '../../src/modules/inbox/notice-senders.ts';
import { DEMO_PASSWORD } from '../../src/demo/demo-people.ts';

/**
 * Debian's Chromium (`apt-get install chromium`); Playwright cannot download its own here. The
 * preflight (scripts/system-tools.mjs) installs it before the tests, so a missing one is an error,
 * never a skip.
 */
export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p): p is string => !!p && existsSync(p),
  );
  if (!found) throw new Error('Chromium not found: run  node scripts/system-tools.mjs  (apt-get install chromium), or set CHROMIUM_PATH');
  return found;
}

/**
 * Waits until the page is still: no request in flight (`networkidle`), the web fonts loaded, and
 * no finite CSS animation or transition running (antd's modal, drawer and message motions), so a
 * screenshot or an axe check sees the page as it stays. Polled with `page.evaluate`, which the
 * Content-Security-Policy allows (`waitForFunction` compiles in the page, which it refuses).
 */
export async function settled(page: Page, options: { timeout?: number } = {}): Promise<void> {
  await page.waitForLoadState('networkidle');
  // A string: the tests are type-checked without the DOM library.
  const still = () =>
    page.evaluate<boolean>(
      `document.fonts.status === 'loaded' &&
       document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)`,
    );
  await expect.poll(still, { timeout: options.timeout ?? 20_000, interval: 50 }).toBe(true);
}

/**
 * Records the text of every antd message and antd-mobile toast the page shows from now on (until
 * it navigates away), so that a test can check one after it has gone. They last about three
 * seconds, and the test process also runs the server and its ledger sequencer: busy with them on a
 * loaded machine, it may send its next wait only after the toast is gone, which then times out.
 */
export async function recordToasts(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    if (window.__toasts) return;
    const seen = (window.__toasts = []);
    const collect = () => {
      for (const el of document.querySelectorAll('[class*="-message-notice"], .adm-toast-main')) {
        const text = (el.textContent || '').trim();
        if (text && !seen.includes(text)) seen.push(text);
      }
    };
    new MutationObserver(collect).observe(document.body, { childList: true, subtree: true, characterData: true });
    collect();
  })()`);
}

/** Waits until a toast recorded by `recordToasts` matches `text`; returns its text. */
export async function toastSeen(page: Page, text: RegExp, options: { timeout?: number } = {}): Promise<string> {
  let found = '';
  await expect
    .poll(
      async () => {
        found = (await page.evaluate<string[]>('window.__toasts ?? []')).find((t) => text.test(t)) ?? '';
        return found;
      },
      { timeout: options.timeout ?? 20_000, interval: 100 },
    )
    .not.toBe('');
  return found;
}

/** A fresh tab of `context` (staff sessions live per tab) logged into the console as `username` (the demo password unless given), its menu in the page (on a phone it is folded away). */
export async function consoleAs(context: BrowserContext, username: string, password = DEMO_PASSWORD): Promise<Page> {
  const page = await context.newPage();
  await page.goto('/console/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  // antd spaces out a two-character button label (登 录).
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.locator('.cs-sider, .ant-layout-sider').first().waitFor({ state: 'attached' });
  return page;
}

export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');

export const PHONE = { viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } as const;
export const DESKTOP = { viewport: { width: 1366, height: 860 } } as const;

export interface E2eServer {
  base: string;
  platform: Platform;
  app: App;
  browser: Browser;
  /** Content-Security-Policy violations any page of any context reported so far (event or console). */
  cspViolations: string[];
  context(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Collects what the Content-Security-Policy blocks in the context's pages: each
 * `securitypolicyviolation` event, and Chromium's "Refused to …" console errors (which also cover
 * what happens before a page's scripts run).
 */
export async function watchCsp(context: BrowserContext, into: string[]): Promise<void> {
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });`);
  context.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && /Content Security Policy|CSP violation/i.test(text)) {
      into.push(`${message.location().url}: ${text}`);
      console.error(text);
    }
  });
}

/** A real server without a browser (startE2e's, or another federation node's beside it). */
export interface E2eNode {
  base: string;
  platform: Platform;
  app: App;
  close(): Promise<void>;
}

/**
 * The real server on a free port with a fresh embedded data folder and the demo data of 正定县;
 * `env` adds configuration (a federation node's YIBAN_NODE_ROLE, YIBAN_MEMBER_ID, YIBAN_HUB_URL).
 */
export async function startE2eNode(
  options: { codeSender?: CodeSender; noticeSender?: NoticeSender; env?: Record<string, string> } = {},
): Promise<E2eNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The demo data is loaded, so this is demo mode (the apps show the banner).
  const config = loadConfig({
    ...options.env,
    YIBAN_DATA_DIR: dataDir,
    PORT: String(port),
    YIBAN_PUBLIC_URL: base,
    LOG_LEVEL: 'warn',
    YIBAN_DEMO: '1',
  });
  // Kiosk codes go to the test's sender when it gives one; none is configured otherwise.
  // Inbox notices' text messages likewise (the demo console sender otherwise, as in a demo deployment).
  const platform = await openPlatform(config, {
    codeSender: options.codeSender ?? null,
    ...(options.noticeSender ? { noticeSender: options.noticeSender } : {}),
  });
  await seedDemo(platform.database, platform.services, { divisions: { prefix: '130123' } });
  // The tests log in many times from 127.0.0.1: the configured limits, raised.
  const app = await buildApp(platform, {
    logLevel: 'warn',
    publicUrl: config.publicUrl,
    rateLimits: raiseRateLimits(config.rateLimits, 1000),
  });
  const integrator = platform.services.ledger.startSequencer({ checkpointIntervalMs: 500, onError: () => undefined });
  // The outbox worker, as `yiban serve` runs it: decided cases move their bundles on.
  const stopEvents = platform.services.events.start({ intervalMs: 250 });
  await app.listen({ host: '127.0.0.1', port });
  return {
    base,
    platform,
    app,
    async close() {
      await app.close();
      await integrator.stop();
      await stopEvents();
      await platform.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The real server (startE2eNode), the built web apps (built first when missing or stale), and one
 * headless Chromium.
 */
export async function startE2e(
  options: { codeSender?: CodeSender; noticeSender?: NoticeSender; env?: Record<string, string> } = {},
): Promise<E2eServer> {
  const executablePath = chromiumPath();
  if (!isWebBuildFresh()) await buildWeb();
  const node = await startE2eNode(options);
  const { base, platform, app } = node;
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const cspViolations: string[] = [];
  return {
    base,
    platform,
    app,
    browser,
    cspViolations,
    async context(options) {
      const context = await browser.newContext({ baseURL: base, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
      // A script error in a page fails loudly in the test output.
      context.on('weberror', (e) => console.error(`page error: ${e.error().message}`));
      await watchCsp(context, cspViolations);
      return context;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await node.close();
    },
  };
}
