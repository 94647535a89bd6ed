import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, demoResidentId, demoResidentPhone } from '../../src/demo/demo-people.ts';
import { accounts, sessions } from '../../src/modules/identity/identity.tables.ts';
import { cases } from '../../src/modules/applications/applications.tables.ts';
import { certificates } from '../../src/modules/certificates/certificates.tables.ts';
import { DESKTOP, PHONE, SCREENSHOTS, recordToasts, startE2e, toastSeen, type E2eServer } from './harness.ts';
import { capturingCodeSender } from '../code-sender.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the page as it is: the serious and critical violations. */
async function axe(page: Page): Promise<string[]> {
  // Evaluated, not added as a <script>: the page's CSP refuses inline scripts (DevTools evaluation is exempt).
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe.run;
    return (await run({ resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('kiosk mode and accessibility in the browser', () => {
  let server: E2eServer;
  let big: BrowserContext;
  let phone: BrowserContext;
  // Kiosk codes reach the test through the composition root, as a text message would reach a phone.
  const codes = capturingCodeSender();

  beforeAll(async () => {
    server = await startE2e({ codeSender: codes });
    big = await server.context({ viewport: { width: 1280, height: 900 } });
    phone = await server.context(PHONE);
    big.setDefaultTimeout(15_000);
    phone.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('kiosk: ID number + one-time code, a visible countdown, automatic logout, nothing kept', async () => {
    const page = await big.newPage();
    await page.goto('/kiosk?idle=8');
    await page.locator('#ks-id').fill(demoResidentId(3));
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/kiosk/code'));
    await page.getByRole('button', { name: '获取验证码' }).click();
    expect(await (await answer).json()).not.toHaveProperty('demoCode');
    expect(await page.getByTestId('code-sent').textContent()).toContain('验证码已发送至您的手机');
    // A text message, not the demo console: no console hint, and no code anywhere on the page.
    expect(await page.getByTestId('demo-console').count()).toBe(0);
    await server.platform.services.kiosk.settled();
    const code = codes.lastCodeTo(demoResidentPhone(3));
    expect(await page.content()).not.toContain(code);
    await page.locator('#ks-code').fill(code);
    await shot(page, 'kiosk-login');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('countdown').waitFor();
    await page.getByText('刘洋，您好').waitFor();
    await page.locator('.ks-cert').first().waitFor();
    await shot(page, 'kiosk-home');
    expect(await page.getByTestId('countdown').textContent()).toMatch(/\d+ 秒后自动退出/);
    // The session is a browser-session cookie that no script on the page can read.
    expect(await page.context().cookies()).toMatchObject([{ name: 'yiban_session', httpOnly: true, expires: -1 }]);
    expect(await page.evaluate<string>('document.cookie')).toBe('');

    // Left alone, it logs out by itself and the session is ended on the server.
    await page.locator('#ks-id').waitFor({ timeout: 20_000 });
    expect(await page.locator('#ks-id').inputValue()).toBe('');
    const storage = await page.evaluate(() => {
      const g = globalThis as unknown as { localStorage: { length: number }; sessionStorage: { length: number } };
      return [g.localStorage.length, g.sessionStorage.length];
    });
    expect(storage).toEqual([0, 0]);
    expect(await page.context().cookies()).toEqual([]);
    const ended = await server.platform.database.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.channel, 'kiosk'), isNotNull(sessions.revokedAt)));
    expect(ended.length).toBe(1);
    await page.close();
  });

  it('kiosk in a demo deployment: says the code was sent and points at the server console, never showing a code', async () => {
    const page = await big.newPage();
    // The server's side of a demo deployment (delivery "console") is tested in test/kiosk-login.test.ts;
    // here the page's answer to it.
    await page.route('**/api/auth/kiosk/code', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...((await response.json()) as object), delivery: 'console' } });
    });
    await page.goto('/kiosk');
    await page.locator('#ks-id').fill(demoResidentId(2));
    await page.getByRole('button', { name: '获取验证码' }).click();
    expect(await page.getByTestId('code-sent').textContent()).toContain('验证码已发送至您的手机');
    expect(await page.getByTestId('demo-console').textContent()).toContain('服务器控制台');
    await server.platform.services.kiosk.settled();
    expect(await page.content()).not.toContain(codes.lastCodeTo(demoResidentPhone(2)));
    await page.close();
  });

  it('helper mode: the helper picks a resident who authorised them; every page says on whose behalf', async () => {
    const page = await phone.newPage();
    await page.goto('/login?helper');
    await page.getByPlaceholder('帮办员用户名').fill('tyz-helper');
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('授权我代办的居民').waitFor();
    await page.locator('.adm-list-item', { hasText: '王芳' }).click();
    const banner = page.getByTestId('on-behalf');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('王芳');
    await shot(page, 'resident-helper');

    await page.goto('/apply/cert.residence');
    expect(await page.getByTestId('on-behalf').textContent()).toContain('王芳');
    await page.getByPlaceholder('请输入现居住地址').fill('河北省石家庄市正定县正定镇塔元庄村');
    await page.locator('input[aria-label="居住起始日期"]').fill('2010-03-01');
    await page.locator('.adm-selector-item').first().click();
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByText('申请已提交').waitFor();
    for (const url of ['/cases', '/certs', '/']) {
      await page.goto(url);
      expect(await page.getByTestId('on-behalf').textContent(), url).toContain('王芳');
    }
    const [helper] = await server.platform.database.db.select().from(accounts).where(eq(accounts.name, '塔元庄村帮办代办员'));
    const made = await server.platform.database.db.select().from(cases).where(isNotNull(cases.helperId));
    expect(made.length).toBeGreaterThan(0);
    if (helper) expect(made.every((c) => c.helperId === helper.id)).toBe(true);
    await page.close();
  });

  it('console: the reviewer approves two cases at once, and each gets its own certificate', async () => {
    const page = await big.newPage();
    await page.goto('/console');
    await page.waitForURL('**/console/login');
    await page.getByLabel('用户名').fill('tyz-reviewer');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    const rows = page.locator('.ant-table-row');
    await rows.nth(1).waitFor();
    const picked = [await rows.nth(0).getAttribute('data-row-key'), await rows.nth(1).getAttribute('data-row-key')].filter(
      (k): k is string => !!k,
    );
    expect(picked).toHaveLength(2);
    const db = server.platform.database.db;
    const before = await db.select().from(cases).where(inArray(cases.id, picked));
    expect(before.every((c) => ['submitted', 'accepted', 'in_review'].includes(c.state))).toBe(true);
    for (const i of [0, 1]) await rows.nth(i).locator('.ant-table-selection-column input').check();
    // Selecting does not open the case.
    expect(new URL(page.url()).pathname).not.toContain('/cases/');
    expect(await page.getByTestId('batch-approve').textContent()).toContain('2');
    await page.getByTestId('batch-approve').click();
    // The first issuance of a fresh server builds the seal's tables: give it time on a busy machine.
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/cases/batch-decide'), { timeout: 90_000 });
    // The result toast lasts three seconds: it is recorded, not waited for (harness.ts, recordToasts).
    await recordToasts(page);
    await page.getByRole('button', { name: '确认通过' }).click();
    const response = await answered;
    const body = (await response.json()) as { counts: Record<string, number>; results: unknown[] };
    expect(response.status(), JSON.stringify(body)).toBe(200);
    expect(body.counts.approved, JSON.stringify(body.results)).toBe(2);
    await toastSeen(page, /已通过 2 件，电子证明已签发/, { timeout: 30_000 });
    await page.locator('.ant-modal-confirm').waitFor({ state: 'hidden' });
    await shot(page, 'console-batch-approved');

    const after = await db.select().from(cases).where(inArray(cases.id, picked));
    expect(after.map((c) => c.state)).toEqual(['completed', 'completed']);
    const issued = await db.select().from(certificates).where(inArray(certificates.caseId, picked));
    expect(issued).toHaveLength(2);
    expect(new Set(issued.map((c) => c.caseId))).toEqual(new Set(picked));
    // The page was read again: the approved cases left the queue.
    const keysShown = async (): Promise<string[]> => {
      const keys: string[] = [];
      for (let i = 0; i < (await rows.count()); i++) keys.push((await rows.nth(i).getAttribute('data-row-key')) ?? '');
      return keys;
    };
    await expect.poll(async () => (await keysShown()).filter((k) => picked.includes(k))).toEqual([]);
    await page.close();
  }, 150_000);

  it.each([
    ['resident login', '/login', 'phone'],
    ['resident registration', '/register', 'phone'],
    ['public verifier', '/verify', 'phone'],
    ['staff console login', '/console/login', 'desk'],
    ['kiosk', '/kiosk', 'desk'],
  ])('axe-core finds no serious or critical violations on the %s page', async (_name, url, device) => {
    const page = await (device === 'phone' ? phone : big).newPage();
    await page.goto(url);
    await page.locator('#root *').first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(await axe(page)).toEqual([]);
    await page.close();
  });

  function shot(page: Page, name: string) {
    return page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }
  void DESKTOP;

  // Runs last: every page above ran under the Content-Security-Policy without a violation.
  it('met the Content-Security-Policy on every page', () => {
    expect(server.cspViolations).toEqual([]);
  });
});
