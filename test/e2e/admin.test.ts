import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { and, eq, inArray, isNull, like, sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_VILLAGE } from '../../src/demo/demo-people.ts';
import { cases, type CaseState } from '../../src/modules/applications/applications.tables.ts';
import { registeredSignatures } from '../../src/modules/certificates/certificates.tables.ts';
import { signingKeys } from '../../src/modules/certificates/keys/keys.tables.ts';
import { accounts, delegations, staff, staffRoles } from '../../src/modules/identity/identity.tables.ts';
import { DESKTOP, PHONE, SCREENSHOTS, startE2e, type E2eServer, consoleAs } from './harness.ts';

const OPEN: CaseState[] = ['submitted', 'accepted', 'in_review'];
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core on the page as it is: the serious and critical violations. */
async function axe(page: Page): Promise<string[]> {
  // Evaluated, not added as a <script>: the page's CSP refuses inline scripts (DevTools evaluation is exempt).
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate<{ id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[]>(
    `axe.run({ resultTypes: ['violations'] }).then((r) => r.violations)`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('console administration and helper authorisations in the browser', () => {
  let server: E2eServer;
  let desk: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    server = await startE2e();
    desk = await server.context(DESKTOP);
    phone = await server.context(PHONE);
    desk.setDefaultTimeout(15_000);
    phone.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  const db = () => server.platform.database.db;

  /** Types into an antd select with search and picks the option that contains `text`. */
  async function pickOption(page: Page, combobox: ReturnType<Page['getByRole']>, query: string, text: string | RegExp) {
    await combobox.click();
    await combobox.fill(query);
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text }).first().click();
    // The choice closes the list; wait until it has (a list left open stands over the page for the next step, and
    // axe reads its options). A list still open once the click is done is closed with Escape, which changes no value.
    const open = () => page.locator('.ant-select-dropdown:visible').count();
    if ((await combobox.getAttribute('aria-expanded')) === 'true') await combobox.press('Escape');
    await expect.poll(open, { timeout: 15_000, interval: 50 }).toBe(0);
  }

  async function accountId(username: string): Promise<string> {
    const [row] = await db().select({ id: staff.accountId }).from(staff).where(eq(staff.username, username));
    return row!.id;
  }

  it("seal and registered signatures: the reviewer sees the village's seal and uploads a signature; the township administrator registers it", async () => {
    const reviewer = await consoleAs(desk, 'tyz-reviewer');
    await reviewer.getByRole('menuitem', { name: '印章与手签' }).click();
    const facts = reviewer.getByTestId('seal-key');
    await facts.waitFor();
    const [key] = await db()
      .select()
      .from(signingKeys)
      .where(and(eq(signingKeys.owner, DEMO_VILLAGE), eq(signingKeys.purpose, 'seal'), eq(signingKeys.status, 'active')));
    expect(key).toBeDefined();
    const text = (await facts.textContent()) ?? '';
    expect(text).toContain(key!.id);
    expect(text).toContain('SM2');
    expect(text).toContain('一办平台根证书');
    expect(await reviewer.getByTestId('seal-validity').textContent()).toContain(String(key!.notAfter.getUTCFullYear()));
    // The seal image is the round red seal with the org's name, drawn as the PDF draws it.
    const svg = Buffer.from(((await reviewer.getByTestId('seal-image').getAttribute('src')) ?? '').split(',')[1] ?? '', 'base64').toString(
      'utf8',
    );
    expect(svg).toContain('#d7000f');
    expect(svg).toContain('电');

    // A handwritten signature, drawn in the page and uploaded as PNG.
    // (A script string: the test files are type-checked without the DOM library.)
    const png = await reviewer.evaluate<string>(`(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 360;
      canvas.height = 120;
      const g = canvas.getContext('2d');
      g.fillStyle = '#fff';
      g.fillRect(0, 0, 360, 120);
      g.strokeStyle = '#1d1d1f';
      g.lineWidth = 4;
      g.lineCap = 'round';
      g.beginPath();
      for (let x = 20; x <= 340; x += 4) g.lineTo(x, 60 + Math.sin(x / 18) * 28 * Math.cos(x / 47));
      g.stroke();
      return canvas.toDataURL('image/png');
    })()`);
    await reviewer
      .getByTestId('signature-file')
      .setInputFiles({ name: 'signature.png', mimeType: 'image/png', buffer: Buffer.from(png.split(',')[1]!, 'base64') });
    await reviewer.locator('.ant-table-row', { hasText: '待备案' }).waitFor();
    const reviewerId = await accountId('tyz-reviewer');
    const filed = await db().select().from(registeredSignatures).where(eq(registeredSignatures.accountId, reviewerId));
    expect(filed.map((s) => s.status)).toEqual(['pending']);
    expect(filed[0]!.image).toBe(png);
    // A reviewer cannot register their own signature.
    expect(await reviewer.getByRole('button', { name: '备案生效' }).count()).toBe(0);
    await shot(reviewer, 'console-seal');
    await reviewer.close();

    const admin = await consoleAs(desk, 'zdz-admin');
    await admin.getByRole('menuitem', { name: '印章与手签' }).click();
    await pickOption(admin, admin.getByRole('combobox', { name: '选择单位' }), '塔元庄', '塔元庄');
    await admin.getByTestId('seal-key').waitFor();
    expect(await admin.getByTestId('seal-key').textContent()).toContain(key!.id);
    const row = admin.locator('.ant-table-row', { hasText: '待备案' });
    expect(await row.textContent()).toContain('塔元庄村审核员');
    await row.getByRole('button', { name: '备案生效' }).click();
    await admin.locator('.ant-table-row', { hasText: '已备案（使用中）' }).waitFor();
    const [active] = await db().select().from(registeredSignatures).where(eq(registeredSignatures.id, filed[0]!.id));
    expect(active!.status).toBe('active');
    expect(active!.activatedBy).toBe(await accountId('zdz-admin'));
    await shot(admin, 'console-signatures');
    expect(await axe(admin)).toEqual([]);
    await admin.close();
  }, 90_000);

  it('staff management: the township administrator adds a reviewer, changes the role and disables the account', async () => {
    const page = await consoleAs(desk, 'zdz-admin');
    await page.getByRole('menuitem', { name: '人员管理' }).click();
    await page.locator('.ant-table-row', { hasText: 'tyz-reviewer' }).waitFor();
    // Down the subtree only: the county's and the city's administrators are not listed.
    expect(await page.locator('.ant-table-row', { hasText: 'zd-admin' }).count()).toBe(0);
    await shot(page, 'console-staff');
    expect(await axe(page)).toEqual([]);

    await page.getByRole('button', { name: '新增人员' }).click();
    const modal = page.locator('.ant-modal', { hasText: '新增工作人员' });
    await modal.getByLabel('姓名').fill('赵敏');
    await modal.getByLabel('用户名').fill('tyz-zhaomin');
    await modal.getByLabel('初始密码').fill('Tyz-2026-Staff');
    await pickOption(page, modal.getByRole('combobox', { name: '任职单位' }), '塔元庄', '塔元庄');
    await modal.getByRole('button', { name: /新\s*建/ }).click();
    const row = page.locator('.ant-table-row', { hasText: 'tyz-zhaomin' });
    await row.waitFor();
    expect(await row.textContent()).toContain('村两委审核员');
    const id = await accountId('tyz-zhaomin');
    const rolesOf = async () =>
      (await db().select().from(staffRoles).where(eq(staffRoles.accountId, id))).map((r) => `${r.role}@${r.orgCode}`).sort();
    expect(await rolesOf()).toEqual([`village_reviewer@${DEMO_VILLAGE}`]);

    // Change the role: grant 帮办代办员 at the village, withdraw 村两委审核员.
    await row.getByRole('button', { name: '调整角色' }).click();
    const roles = page.locator('.ant-modal', { hasText: '授予新角色' });
    // The create modal's dropdown may still be closing when this one opens: choose in the newest
    // visible dropdown, and choose again until the form has both values (the button enables).
    const grantButton = roles.getByRole('button', { name: /授\s*予/ });
    await expect
      .poll(
        async () => {
          await roles.getByRole('combobox', { name: '新角色' }).click();
          await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '帮办代办员' }).last().click();
          await pickOption(page, roles.getByRole('combobox', { name: '任职单位' }), '塔元庄', '塔元庄');
          return grantButton.isEnabled();
        },
        { timeout: 45_000 },
      )
      .toBe(true);
    await grantButton.click();
    await roles.getByTestId('current-roles').getByText('帮办代办员').waitFor();
    await roles.getByLabel(/撤销 村两委审核员/).click();
    await expect.poll(rolesOf).toEqual([`helper@${DEMO_VILLAGE}`]);
    await expect.poll(async () => (await roles.getByTestId('current-roles').textContent()) ?? '').not.toContain('村两委审核员');
    // Close the roles dialog, and see it gone before the row's buttons take clicks again. Escape
    // first closes whatever inside the dialog holds the focus (a select's dropdown), so press it
    // until the dialog itself has closed.
    await expect
      .poll(
        async () => {
          if (await roles.isVisible()) await page.keyboard.press('Escape');
          return roles.isVisible();
        },
        { timeout: 20_000 },
      )
      .toBe(false);

    await row.getByRole('button', { name: /停\s*用/ }).click();
    const confirm = page.locator('.ant-modal-confirm');
    await confirm.getByRole('button', { name: /停\s*用/ }).click();
    await confirm.waitFor({ state: 'hidden' });
    const statusOf = async () => (await db().select().from(accounts).where(eq(accounts.id, id)))[0]!.status;
    await expect.poll(statusOf, { timeout: 30_000 }).toBe('disabled');
    await row.getByText('已停用').waitFor();
    await expect(
      server.platform.services.identity.login({ kind: 'staff', username: 'tyz-zhaomin', password: 'Tyz-2026-Staff', channel: 'web' }),
    ).rejects.toThrow();
    await page.close();
  }, 90_000);

  it('four-level overview: city → county → township → village, with the counts in the database, down to the village queue', async () => {
    const page = await consoleAs(desk, 'sjz-admin');
    await page.getByRole('menuitem', { name: '四级总览' }).click();
    const here = page.getByTestId('overview-org');
    await expect.poll(() => here.textContent()).toBe('石家庄市');
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    const count = async (prefix: string) => {
      const [row] = await db()
        .select({ open: sql<number>`count(*)::int`, overdue: sql<number>`(count(*) filter (where ${cases.dueDate} < ${today}))::int` })
        .from(cases)
        .where(and(like(cases.orgPath, `${prefix}%`), inArray(cases.state, OPEN)));
      return { open: Number(row!.open), overdue: Number(row!.overdue) };
    };
    const statistic = async (title: string) =>
      Number(
        (await page.locator('.ant-statistic', { hasText: title }).locator('.ant-statistic-content').textContent())?.replace(/[^\d]/g, ''),
      );
    const city = await count('13.1301.');
    expect(city.open).toBeGreaterThan(0);
    expect(city.overdue).toBeGreaterThan(0);
    expect(await statistic('在办件')).toBe(city.open);
    expect(await statistic('超期件')).toBe(city.overdue);

    for (const [name, level] of [
      ['正定县', '县'],
      ['正定镇', '乡镇'],
    ] as const) {
      await page.locator('.ant-table-row', { hasText: name }).click();
      await expect.poll(() => here.textContent()).toBe(name);
      expect(await page.locator('.ant-breadcrumb').textContent()).toContain('石家庄市');
      void level;
    }
    const township = await count('13.1301.130123.130123100.');
    expect(await statistic('在办件')).toBe(township.open);
    const village = page.locator('.ant-table-row', { hasText: '塔元庄' });
    const [villageOpen] = await db()
      .select({ n: sql<number>`count(*)::int` })
      .from(cases)
      .where(and(eq(cases.orgCode, DEMO_VILLAGE), inArray(cases.state, OPEN)));
    expect(await village.locator('td').nth(2).textContent()).toBe(String(villageOpen!.n));
    await shot(page, 'console-overview');
    expect(await axe(page)).toEqual([]);

    await village.click();
    await page.waitForURL(`**/console?orgCode=${DEMO_VILLAGE}**`);
    await page.locator('.ant-table-row').first().waitFor();
    // Opened with the overdue filter on: every row shown is overdue.
    const rows = await page.locator('.ant-table-row').count();
    expect(rows).toBeGreaterThan(0);
    expect(await page.locator('.ant-table-row.cs-overdue').count()).toBe(rows);
    await page.close();

    // A township administrator's overview starts at the township and cannot climb.
    const zdz = await consoleAs(desk, 'zdz-admin');
    await zdz.getByRole('menuitem', { name: '四级总览' }).click();
    await expect.poll(() => zdz.getByTestId('overview-org').textContent()).toBe('正定镇');
    // The page holds no token: its session is the HttpOnly cookie, which fetch sends by itself.
    expect(await zdz.evaluate<string>('sessionStorage.getItem("yiban.console.session") ?? ""')).not.toContain('token');
    const answer = await zdz.evaluate<number>(`(async () => (await fetch('/api/overview?orgCode=130123')).status)()`);
    expect(answer).toBe(404);
    await zdz.close();
  }, 90_000);

  it('resident: sees what the helper did on her behalf, withdraws the authorisation and gives it again', async () => {
    const services = server.platform.services;
    const [wang] = await db().select().from(accounts).where(eq(accounts.name, '王芳'));
    const { token } = await services.identity.login({ kind: 'staff', username: 'tyz-helper', password: DEMO_PASSWORD, channel: 'web' });
    const acting = await services.identity.authenticate(token, wang!.id);
    const { case: made } = await services.applications.submit(acting!, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2012-05-01', purpose: 'school' },
    });

    const page = await phone.newPage();
    await page.goto('/login');
    await page.getByPlaceholder('请输入手机号或身份证号').fill('13831100002');
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('您好，王芳').waitFor();
    await page.goto('/me');
    const acts = page.getByTestId('helper-acts');
    await acts.getByText(made.caseNo, { exact: false }).first().waitFor();
    expect(await acts.textContent()).toContain('塔元庄村帮办员');
    expect(await acts.textContent()).toContain('居住证明');
    await page
      .locator('.adm-toast-mask')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await shot(page, 'resident-helpers');
    expect(await axe(page)).toEqual([]);

    const list = page.getByTestId('delegations');
    await list.getByRole('button', { name: '撤销' }).click();
    await page.getByRole('button', { name: '撤销授权' }).click();
    await list.getByText('已撤销').waitFor();
    const mine = () => db().select().from(delegations).where(eq(delegations.residentId, wang!.id));
    expect((await mine()).every((d) => d.revokedAt !== null)).toBe(true);
    // The helper can no longer act for her.
    await expect(services.identity.authenticate(token, wang!.id)).rejects.toThrow();

    await list.getByText('＋ 授权帮办员').click();
    await page.getByPlaceholder('tyz-helper').fill('tyz-helper');
    await page.getByRole('button', { name: '确认授权' }).click();
    await list.getByRole('button', { name: '撤销' }).waitFor();
    const again = await db()
      .select()
      .from(delegations)
      .where(and(eq(delegations.residentId, wang!.id), isNull(delegations.revokedAt)));
    expect(again).toHaveLength(1);
    expect(again[0]!.scopes.sort()).toEqual(['applications.submit', 'applications.view']);
    expect(await services.identity.authenticate(token, wang!.id)).toMatchObject({ actingFor: { residentId: wang!.id } });
    await page.close();
  }, 90_000);

  // Runs last: every page above ran under the Content-Security-Policy without a violation.
  it('met the Content-Security-Policy on every page', () => {
    expect(server.cspViolations).toEqual([]);
  });
});
