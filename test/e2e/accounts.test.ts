import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-data.ts';
import { DESKTOP, PHONE, startE2e, type E2eServer } from './harness.ts';


const NEW_PASSWORD = 'Lina-Xinmima-Chunjie-88';

describe('demo mode and passwords in the browser', () => {
  let server: E2eServer;
  let desktop: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    server = await startE2e();
    desktop = await server.context(DESKTOP);
    phone = await server.context(PHONE);
    desktop.setDefaultTimeout(15_000);
    phone.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('every app shows the demo banner in demo mode, in Chinese first', async () => {
    for (const [context, url] of [
      [phone, '/login'],
      [desktop, '/console/login'],
      [desktop, '/kiosk'],
      [desktop, '/verify'],
    ] as const) {
      const page = await context.newPage();
      await page.goto(url);
      const banner = page.getByTestId('demo-banner');
      await banner.waitFor();
      expect(await banner.textContent(), url).toBe('演示模式 · 演示账号与数据，请勿用于真实业务');
      await page.close();
    }
    const platform = await (await fetch(`${server.base}/api/platform`)).json();
    expect(platform).toMatchObject({ demo: true, needsBootstrap: false });
  });

  it('a resident changes their password on 我的: the current one is checked, other sessions end, the new one works', async () => {
    const identity = server.platform.services.identity;
    const elsewhere = await identity.login({ kind: 'resident', residentIdOrPhone: '13831100003', password: DEMO_PASSWORD, channel: 'app' });
    const page = await phone.newPage();
    await page.goto('/login');
    await page.getByPlaceholder('请输入手机号或身份证号').fill('13831100003');
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('tab', { name: '我的' }).or(page.getByText('我的', { exact: true })).first().click();
    await page.getByText('修改密码').click();
    const form = page.getByTestId('change-password');
    await form.waitFor();

    await form.getByLabel('当前密码').fill('Not-My-Password-1');
    await form.getByLabel(/^新密码/).fill(NEW_PASSWORD);
    await form.getByLabel('再次输入新密码').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: '确认修改' }).click();
    await page.getByText('当前密码不正确').waitFor();
    expect(await identity.authenticate(elsewhere.token)).not.toBeNull();

    await form.getByLabel('当前密码').fill(DEMO_PASSWORD);
    await form.getByRole('button', { name: '确认修改' }).click();
    await page.getByText(/密码已修改/).waitFor();

    // The session on the other device ended; this one goes on; only the new password logs in.
    expect(await identity.authenticate(elsewhere.token)).toBeNull();
    await page.reload();
    await page.getByText('修改密码').waitFor();
    await expect(identity.login({ kind: 'resident', residentIdOrPhone: '13831100003', password: DEMO_PASSWORD, channel: 'app' })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await expect(identity.login({ kind: 'resident', residentIdOrPhone: '13831100003', password: NEW_PASSWORD, channel: 'app' })).resolves.toBeTruthy();
    await page.close();
  });
});
