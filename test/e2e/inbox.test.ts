import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, demoResidentId, demoResidentPhone } from '../../src/demo/demo-people.ts';
import type { NoticeSender, NoticeSms } from '../../src/modules/inbox/notice-senders.ts';
import { axeSerious } from './axe.ts';
import { PHONE, SCREENSHOTS, settled, startE2e, type E2eServer } from './harness.ts';

// The resident inbox in the browser: a notice written through the service (as the benefits module
// will, in its own transaction) reaches the demo resident's phone as a short text through the
// outbox worker, shows as an unread badge on the 消息 tab and in the list; opening it marks it read
// (in the database too) and follows its link; the badge goes.
describe('the resident inbox in the browser', () => {
  let server: E2eServer;
  let phone: BrowserContext;
  let page: Page;
  const texts: NoticeSms[] = [];
  const sender: NoticeSender = {
    delivery: 'sms',
    async send(sms) {
      texts.push(sms);
    },
  };
  const RESIDENT = 3;
  let messageId = '';

  beforeAll(async () => {
    server = await startE2e({ noticeSender: sender });
    phone = await server.context(PHONE);
    phone.setDefaultTimeout(15_000);
    page = await phone.newPage();
    const { services, database } = server.platform;
    const resident = await services.identity.findResidentByResidentId(demoResidentId(RESIDENT));
    ({ id: messageId } = await database.db.transaction((tx) =>
      services.inbox.notifyInTx(tx, {
        accountId: resident!.accountId,
        key: 'e2e:case.update',
        kind: 'case.update',
        titleZh: '办件进度更新',
        titleEn: 'Your case has moved on',
        bodyZh: '您申请的居住证明已受理，请留意办理进度。',
        bodyEn: 'Your residence proof application was accepted; follow its progress.',
        link: '/cases',
        sms: true,
      }),
    ));
  });
  afterAll(async () => {
    await server?.close();
  });

  const readAt = async () => {
    const { rows } = await server.platform.database.db.execute<{ read_at: string | null; sms_status: string }>(
      sql`select read_at, sms_status from inbox_messages where id = ${messageId}`,
    );
    return rows[0]!;
  };

  it('texts the notice once through the worker, without the body', async () => {
    await expect.poll(() => texts.length, { timeout: 20_000, interval: 100 }).toBe(1);
    expect(texts[0]).toEqual({ messageId, phone: demoResidentPhone(RESIDENT), title: '办件进度更新' });
    await expect.poll(async () => (await readAt()).sms_status, { timeout: 20_000, interval: 100 }).toBe('sent');
  });

  it('the resident sees the unread badge, opens the message, and the badge goes', async () => {
    await page.goto('/login');
    await page.getByPlaceholder('请输入手机号或身份证号').fill(demoResidentPhone(RESIDENT));
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText(/^您好/).waitFor();
    await page.locator('.adm-toast-mask').waitFor({ state: 'detached' });
    const badge = page.getByTestId('unread-badge');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('1');

    await page.getByText('消息', { exact: true }).click();
    await page.waitForURL('**/inbox');
    const item = page.getByTestId('inbox-message').filter({ hasText: '办件进度更新' });
    await item.waitFor();
    expect(await item.getAttribute('data-read')).toBe('no');
    expect(await item.textContent()).toContain('您申请的居住证明已受理');
    await expect.poll(() => page.getByRole('img', { name: '未读' }).count()).toBe(1);
    await settled(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'resident-inbox.png') });
    expect(await axeSerious(page)).toEqual([]);

    await item.click();
    // Read, and its link followed: the case list.
    await page.waitForURL('**/cases');
    await badge.waitFor({ state: 'detached' });
    expect((await readAt()).read_at).not.toBeNull();

    await page.getByText('消息', { exact: true }).click();
    await page.waitForURL('**/inbox');
    await page.getByTestId('inbox-message').first().waitFor();
    expect(await page.getByTestId('inbox-message').filter({ hasText: '办件进度更新' }).getAttribute('data-read')).toBe('yes');
    expect(await page.getByTestId('unread-badge').count()).toBe(0);
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);
  });
});
