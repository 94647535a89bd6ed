import { and, eq, isNull } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, demoResidentId, demoResidentPhone } from '../../src/demo/demo-people.ts';
import { capturingCodeSender } from '../code-sender.ts';
import { hashSessionToken } from '../../src/modules/identity/crypto.ts';
import { sessions } from '../../src/modules/identity/identity.tables.ts';
import { DESKTOP, PHONE, startE2e, type E2eServer } from './harness.ts';

// Issue 10, finding 8, in a real browser: the four apps and the API docs run under the
// Content-Security-Policy without a single violation, refuse to be framed, only the verifier may
// ask for the camera, and the session is a cookie no page script can read.
describe('browser hardening: CSP, framing, camera, session cookie', () => {
  let server: E2eServer;
  const codes = capturingCodeSender();
  let phone: BrowserContext;
  let desk: BrowserContext;
  let qr = '';

  beforeAll(async () => {
    server = await startE2e({ codeSender: codes });
    phone = await server.context(PHONE);
    desk = await server.context(DESKTOP);
    phone.setDefaultTimeout(20_000);
    desk.setDefaultTimeout(20_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  const sessionCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === 'yiban_session');
  const cameraAllowed = (page: Page) =>
    page.evaluate<boolean>(`(document.permissionsPolicy ?? document.featurePolicy).allowsFeature('camera')`);
  /** Everything a page script could read: cookies it can see and both storages. */
  const readable = (page: Page) =>
    page.evaluate<string>(
      `document.cookie + JSON.stringify(Object.entries(localStorage)) + JSON.stringify(Object.entries(sessionStorage))`,
    );

  it('resident app: log in, home, cases, a certificate with its QR, me, log out', async () => {
    const page = await phone.newPage();
    const response = await page.goto('/login');
    const csp = response!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response!.headers()['x-frame-options']).toBe('DENY');
    await page.getByPlaceholder('请输入手机号或身份证号').fill('13831100004');
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('您好，刘洋').waitFor();

    const cookie = await sessionCookie(phone);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await readable(page)).not.toContain(cookie!.value);
    expect(await readable(page)).not.toContain('token');
    expect(await cameraAllowed(page)).toBe(false);

    await page.goto('/cases');
    await page.locator('.adm-list-item').first().waitFor();
    await page.goto('/certs');
    await page.locator('.rs-cert').first().click();
    await page.getByTestId('cert-status').waitFor();
    await page.getByRole('button', { name: '出示二维码' }).click();
    await page.getByTestId('qr-canvas').waitFor();
    await expect.poll(() => page.getByTestId('qr-text').inputValue()).toMatch(/^YB1\./);
    qr = await page.getByTestId('qr-text').inputValue();
    await page.goto('/me');
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL('**/login');
    expect(await sessionCookie(phone)).toBeUndefined();
    const [row] = await server.platform.database.db
      .select()
      .from(sessions)
      .where(eq(sessions.tokenHash, hashSessionToken(cookie!.value)));
    expect(row?.revokedAt).not.toBeNull();
    expect(server.cspViolations).toEqual([]);
    await page.close();
  });

  it('console: log in, queue, a case, seals and signatures, log out', async () => {
    const page = await desk.newPage();
    await page.goto('/console/login');
    await page.getByLabel('用户名').fill('tyz-reviewer');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.locator('.ant-table-row').first().waitFor();
    expect(await readable(page)).not.toContain((await sessionCookie(desk))!.value);
    await page.locator('.ant-table-row a').first().click();
    await page.waitForURL('**/console/cases/**');
    await page.locator('.ant-descriptions').first().waitFor();
    await page.getByRole('menuitem', { name: '印章与手签' }).click();
    await page.getByTestId('seal-image').waitFor();
    await page.getByRole('button', { name: /退\s*出/ }).click();
    await page.waitForURL('**/console/login');
    expect(await sessionCookie(desk)).toBeUndefined();
    expect(server.cspViolations).toEqual([]);
    await page.close();
  });

  it('kiosk: a browser-session cookie only, ended by the log-out button', async () => {
    const context = await server.context({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto('/kiosk');
    await page.locator('#ks-id').fill(demoResidentId(3));
    await page.getByRole('button', { name: '获取验证码' }).click();
    // The code reaches the test through the composition root, as a text message reaches a phone.
    await expect.poll(() => codes.codesTo(demoResidentPhone(3)).length).toBeGreaterThan(0);
    await page.locator('#ks-code').fill(codes.lastCodeTo(demoResidentPhone(3)));
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('.ks-cert').first().waitFor();
    const cookie = await sessionCookie(context);
    // expires -1: gone when the browser closes; the server ends it after 15 minutes at most anyway.
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', expires: -1 });
    expect(await readable(page)).toBe('[][]');
    await page.getByRole('button', { name: '退出', exact: true }).click();
    await page.locator('#ks-id').waitFor();
    expect(await sessionCookie(context)).toBeUndefined();
    const open = await server.platform.database.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.channel, 'kiosk'), isNull(sessions.revokedAt)));
    expect(open).toEqual([]);
    expect(server.cspViolations).toEqual([]);
    await context.close();
  });

  it('verifier: checks the QR, installs its service worker, and alone may use the camera', async () => {
    const page = await phone.newPage();
    const response = await page.goto('/verify');
    expect(response!.headers()['permissions-policy']).toContain('camera=(self)');
    expect(await cameraAllowed(page)).toBe(true);
    // Polled with page.evaluate: waitForFunction compiles its predicate in the page, which the CSP forbids.
    await expect.poll(() => page.evaluate<boolean>('navigator.serviceWorker.controller !== null'), { timeout: 30_000 }).toBe(true);
    expect(qr).toMatch(/^YB1\./);
    await page.locator('#vf-text').fill(qr);
    await page.getByRole('button', { name: '核验', exact: true }).click();
    await expect.poll(() => page.getByTestId('verdict').getAttribute('data-verdict')).toBe('VALID');
    await page.getByRole('tab', { name: '扫码' }).click();
    expect(server.cspViolations).toEqual([]);
    await page.close();
  });

  it('API docs: the Swagger UI renders under its own policy', async () => {
    const page = await desk.newPage();
    await page.goto('/api/docs');
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Yiban');
    await page.locator('.opblock').first().waitFor();
    expect(server.cspViolations).toEqual([]);
    await page.close();
  });

  it('no page of ours can be framed by another site', async () => {
    // Its own context: the refusal is a CSP report, which the shared list must not count.
    const context = await server.browser.newContext();
    const page = await context.newPage();
    const refused = page.waitForEvent('console', (m) => /frame-ancestors/.test(m.text()));
    await page.setContent(`<iframe src="${server.base}/verify"></iframe><iframe src="${server.base}/console"></iframe>`);
    await refused;
    for (const frame of page.frames().slice(1)) {
      expect(await frame.evaluate('document.querySelector("#root") !== null').catch(() => false)).toBe(false);
    }
    await context.close();
  });
});
