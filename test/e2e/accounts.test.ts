import { eq, inArray } from 'drizzle-orm';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-people.ts';
import { accounts, staffRoles } from '../../src/modules/identity/identity.tables.ts';
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
    await page
      .getByRole('tab', { name: '我的' })
      .or(page.getByText('我的', { exact: true }))
      .first()
      .click();
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
    await expect(
      identity.login({ kind: 'resident', residentIdOrPhone: '13831100003', password: DEMO_PASSWORD, channel: 'app' }),
    ).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await expect(
      identity.login({ kind: 'resident', residentIdOrPhone: '13831100003', password: NEW_PASSWORD, channel: 'app' }),
    ).resolves.toBeTruthy();
    await page.close();
  });

  it('a staff member changes their password from the console header', async () => {
    const identity = server.platform.services.identity;
    const page = await desktop.newPage();
    await page.goto('/console/login');
    await page.getByLabel('用户名').fill('zd-supervisor');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    // antd spaces out a two-character button label (登 录).
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByRole('button', { name: '修改密码' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('当前密码').fill(DEMO_PASSWORD);
    await dialog.getByLabel(/^新密码/).fill('abcdefg1');
    await dialog.getByLabel('再次输入新密码').fill('abcdefg1');
    await dialog.getByRole('button', { name: '确认修改' }).click();
    // The form's own check first: fewer than 10 characters never reach the server.
    await dialog.getByText('至少 10 位', { exact: true }).waitFor();
    await dialog.getByLabel(/^新密码/).fill('password12');
    await dialog.getByLabel('再次输入新密码').fill('password12');
    await dialog.getByRole('button', { name: '确认修改' }).click();
    await page.getByText(/密码不够安全/).waitFor();
    await dialog.getByLabel(/^新密码/).fill('Duchayuan-Xinmima-616');
    await dialog.getByLabel('再次输入新密码').fill('Duchayuan-Xinmima-616');
    await dialog.getByRole('button', { name: '确认修改' }).click();
    await page.getByText(/密码已修改/).waitFor();
    await expect(
      identity.login({ kind: 'staff', username: 'zd-supervisor', password: 'Duchayuan-Xinmima-616', channel: 'web' }),
    ).resolves.toBeTruthy();
    await page.close();
  });

  it('首次设置: with no administrator, the printed link creates the first one once', async () => {
    const { db } = server.platform.database;
    const identity = server.platform.services.identity;
    const identityAdmin = server.platform.services.identityAdmin;
    // As on an install without an administrator: the demo one is disabled.
    const admins = await db.select({ id: staffRoles.accountId }).from(staffRoles).where(eq(staffRoles.role, 'platform_admin'));
    await db
      .update(accounts)
      .set({ status: 'disabled' })
      .where(
        inArray(
          accounts.id,
          admins.map((a) => a.id),
        ),
      );
    const { token } = (await identityAdmin.issueBootstrapToken())!;

    const page = await desktop.newPage();
    await page.goto('/console/login');
    await page.getByText('平台尚无管理员').waitFor();
    await page.goto(`/console/setup#token=${token}`);
    expect(await page.getByLabel('一次性令牌').inputValue()).toBe(token);
    await page.getByLabel('用户名').fill('first-admin');
    await page.getByLabel(/^新密码/).fill('Shouwei-Guanliyuan-42');
    await page.getByLabel('再次输入新密码').fill('Shouwei-Guanliyuan-42');
    await page.getByRole('button', { name: '创建管理员并登录' }).click();
    await page.waitForURL('**/console/staff');
    await page.getByRole('button', { name: '修改密码' }).waitFor();
    expect(await identity.needsBootstrap()).toBe(false);
    await expect(
      identity.bootstrapAdmin({ token, username: 'second-admin', name: '又一位', password: 'Shouwei-Guanliyuan-43' }),
    ).rejects.toMatchObject({
      code: 'BOOTSTRAP_TOKEN_INVALID',
    });
    const created = await identity.login({ kind: 'staff', username: 'first-admin', password: 'Shouwei-Guanliyuan-42', channel: 'web' });
    expect(created.account.roles).toEqual([{ role: 'platform_admin', orgCode: '13' }]);
    await page.close();
  });
});
