import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/demo/demo-people.ts';
import { signedPost, testMember } from '../federation-fixtures.ts';
import { axeSerious } from './axe.ts';
import { DESKTOP, SCREENSHOTS, recordToasts, settled, startE2e, startE2eNode, toastSeen, type E2eNode, type E2eServer } from './harness.ts';

const HUB = 'CN/GOV/000000/hub';
const HEBEI = 'CN/GOV/130000/yiban';
const GUANGXI = 'CN/GOV/450000/yiban';
const REASON = '根证书主体与线下核对结果不符';

// 成员审批 in the browser: the hub's platform administrator approves Hebei's request to join and
// rejects Guangxi's with a reason; the directory publishes Hebei only. A province's console has
// no 成员审批 menu (only the hub has members to approve).
describe('成员审批 on the hub’s console, and none on a province’s', () => {
  let hub: E2eServer;
  let hebei: E2eNode;
  let desk: BrowserContext;

  beforeAll(async () => {
    hub = await startE2e({ env: { YIBAN_NODE_ROLE: 'hub', YIBAN_MEMBER_ID: HUB } });
    hebei = await startE2eNode({
      env: { YIBAN_NODE_ROLE: 'province', YIBAN_MEMBER_ID: HEBEI, YIBAN_NODE_NAME: '河北政务服务网', YIBAN_HUB_URL: hub.base },
    });
    await hebei.platform.services.federation.join();
    // Guangxi asks too (a member whose key the test holds: one node less to start).
    const guangxi = testMember(GUANGXI, 'http://127.0.0.1:9');
    const asked = await signedPost(`${hub.base}/api/federation/members`, guangxi.signing, JSON.stringify(guangxi.join), {
      idempotencyKey: 'join-guangxi',
    });
    expect((await asked.send()).status).toBe(202);
    desk = await hub.context(DESKTOP);
    desk.setDefaultTimeout(20_000);
  }, 600_000);
  afterAll(async () => {
    await hebei?.close();
    await hub?.close();
  });

  /** Signs in to the console at `base` as the demo platform administrator; the node's role has been asked when it returns. */
  async function adminConsole(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto('/console/login');
    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    const role = page.waitForResponse((r) => r.url().endsWith('/api/federation/node'));
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.locator('.cs-sider').waitFor();
    await role;
    return page;
  }

  const row = (page: Page, memberId: string) => page.locator('.ant-table-row', { hasText: memberId });
  const popoverButton = (page: Page, name: RegExp) => page.locator('.ant-popover:not(.ant-popover-hidden)').getByRole('button', { name });

  it('approves one request and rejects another with a reason; the lists and the directory show it', async () => {
    const page = await adminConsole(desk);
    await recordToasts(page);
    await page.getByRole('menuitem', { name: '成员审批' }).click();
    await page.waitForURL('**/console/members');
    await row(page, HEBEI).waitFor();
    await row(page, GUANGXI).waitFor();
    expect(await row(page, GUANGXI).textContent()).toContain('加入申请');

    await row(page, HEBEI)
      .getByRole('button', { name: /核\s*准/ })
      .click();
    await popoverButton(page, /核\s*准/).click();
    await toastSeen(page, new RegExp(`已核准: ${HEBEI}`));
    await row(page, HEBEI).waitFor({ state: 'detached' });

    await row(page, GUANGXI)
      .getByRole('button', { name: /驳\s*回/ })
      .click();
    // No reason, no rejection.
    expect(await popoverButton(page, /驳\s*回/).isDisabled()).toBe(true);
    await page.getByLabel('驳回理由').fill(REASON);
    await popoverButton(page, /驳\s*回/).click();
    await toastSeen(page, new RegExp(`已驳回: ${GUANGXI}`));
    await page.getByText('没有待审批的申请').waitFor();

    await page.getByText('已驳回', { exact: true }).click();
    await row(page, GUANGXI).getByText(REASON).waitFor();
    await page.getByText('已核准', { exact: true }).click();
    await row(page, HEBEI).waitFor();
    expect(await page.locator('.ant-table-row').count()).toBe(1);
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-members.png'), fullPage: true });

    // The hub's rows, and the directory a province fetches: Hebei published, Guangxi not.
    const { rows } = await hub.platform.database.db.execute<{ member_id: string; status: string; rejection_reason: string | null }>(
      sql`select member_id, status, rejection_reason from federation_members order by member_id`,
    );
    expect(rows).toEqual([
      { member_id: HEBEI, status: 'approved', rejection_reason: null },
      { member_id: GUANGXI, status: 'rejected', rejection_reason: REASON },
    ]);
    await hebei.platform.services.federation.directory.refresh();
    expect(await hebei.platform.services.federation.lookup.find(HEBEI)).not.toBeNull();
    expect(await hebei.platform.services.federation.lookup.find(GUANGXI)).toBeNull();
  });

  it('shows no 成员审批 on a province’s console, to its platform administrator either', async () => {
    const province = await hub.browser.newContext({ ...DESKTOP, baseURL: hebei.base, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    try {
      province.setDefaultTimeout(20_000);
      const page = await adminConsole(province);
      // The node's role came back (province): the menu is complete without it.
      await page.getByRole('menuitem', { name: '失败事件' }).waitFor();
      await settled(page);
      expect(await page.getByRole('menuitem', { name: '成员审批' }).count()).toBe(0);
    } finally {
      await province.close();
    }
  });
});
