import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_RESIDENTS, demoPeople } from '../../src/demo/demo-people.ts';
import { makeResidentId } from '../../src/modules/identity/resident-id.ts';
import { demoBirthTime } from '../../src/modules/sharing/sharing-records.seed.ts';
import { axeSerious } from './axe.ts';
import { DESKTOP, PHONE, SCREENSHOTS, recordToasts, settled, startE2e, toastSeen, type E2eServer, consoleAs } from './harness.ts';

interface Grant {
  id: string;
  benefitCode: string;
  status: string;
  amountFen: number | null;
  reviewCaseId: string | null;
  payments: { status: string }[];
}

interface Figures {
  benefitCode: string;
  nameZh: string;
  granted: number;
  eligible: number;
  refused: number;
  takeUp: number | null;
}

const MEDICAL = 'benefit.maternity_medical';
const ALLOWANCE = 'benefit.maternity_allowance';
const CHILDCARE = 'benefit.childcare_subsidy';
const OLD_AGE = 'benefit.old_age_allowance';

// Issue 13 in the browser: benefits with no application. 王芳 (whose delivery record the hospital
// holds) and 李娜 (whose employer has stopped paying maternity insurance) each start the birth
// bundle; the outbox worker decides their benefits from the certificates it issues. 王芳 finds
// 生育医疗费用报销 and 生育津贴 granted with their legal basis, confirms the 育儿补贴 offer and then
// opts out of it; 李娜 reads why 生育津贴 was refused, asks for a review and declines her offer; the
// medical security officer sees the figures with take-up and the decisions, payees masked.
describe('benefits in the browser', () => {
  let server: E2eServer;
  let phone: BrowserContext;
  let desk: BrowserContext;
  const tokens: Record<string, string> = {};

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });

  async function login(body: Record<string, string>): Promise<string> {
    const res = await server.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-auth-mode': 'bearer' }, payload: body });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  }
  async function get<T>(token: string, url: string): Promise<T> {
    const res = await server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    return res.json<T>();
  }
  const benefitsOf = (phoneNo: string) => get<Grant[]>(tokens[phoneNo]!, '/api/me/benefits');
  const find = async (phoneNo: string, code: string) => (await benefitsOf(phoneNo)).find((g) => g.benefitCode === code);

  /** Starts the birth bundle for the resident, as the app does (consent given, the bank branch typed). */
  async function startBirthBundle(phoneNo: string): Promise<void> {
    tokens[phoneNo] = await login({ kind: 'resident', residentIdOrPhone: phoneNo, password: DEMO_PASSWORD, channel: 'app' });
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/bundles',
      headers: { authorization: `Bearer ${tokens[phoneNo]}`, 'idempotency-key': `benefits-e2e-${phoneNo}` },
      payload: { bundle: 'birth', form: { bankBranch: '中国农业银行正定支行' }, consent: true },
    });
    expect(res.statusCode).toBe(201);
  }

  async function residentPage(phoneNo: string, name: string): Promise<Page> {
    const page = await phone.newPage();
    await page.goto('/login');
    await page.getByPlaceholder('请输入手机号或身份证号').fill(phoneNo);
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText(`您好，${name}`).waitFor();
    await page.locator('.adm-toast-mask').waitFor({ state: 'detached' });
    return page;
  }

  async function openBenefit(page: Page, code: string): Promise<void> {
    await page.locator(`[data-testid="benefit-item"][data-code="${code}"]`).click();
    await page.waitForURL('**/benefits/*');
    await page.getByTestId('benefit-detail').waitFor();
  }

  const wang = DEMO_RESIDENTS[1]!;
  const li = DEMO_RESIDENTS[2]!;

  beforeAll(async () => {
    server = await startE2e();
    phone = await server.context(PHONE);
    desk = await server.context(DESKTOP);
    phone.setDefaultTimeout(20_000);
    desk.setDefaultTimeout(20_000);
    // 李娜 gave birth too, but her employer stopped paying maternity insurance: the allowance's rule refuses.
    const liPerson = demoPeople()[2];
    const admin = server.platform.services.sharingAdmin;
    await admin.upsertRecords('health.birth_record', [
      {
        residentId: liPerson.residentId,
        data: {
          childName: '李小满',
          childGender: '女',
          birthTime: demoBirthTime(),
          birthPlace: '河北省石家庄市正定县',
          hospital: '正定县人民医院',
          weightGrams: '3100',
          certificateNo: 'O130123002',
          deliveryMode: '顺产',
          babies: '1',
        },
      },
    ]);
    await admin.upsertRecords('medsec.maternity_insurance', [
      {
        residentId: liPerson.residentId,
        data: { employer: '正定县某服装厂', status: '暂停缴费', contributionWageFen: '420000', contributionMonths: '20' },
      },
    ]);
  }, 240_000);
  afterAll(async () => {
    await server?.close();
  });

  it('both mothers start the birth bundle; the outbox worker decides their benefits from its certificates', async () => {
    await startBirthBundle(wang.phone);
    await startBirthBundle(li.phone);
    const decided = async (phoneNo: string) => new Set((await benefitsOf(phoneNo)).map((g) => g.benefitCode));
    await expect.poll(() => decided(wang.phone), { timeout: 90_000, interval: 250 }).toEqual(new Set([MEDICAL, ALLOWANCE, CHILDCARE]));
    await expect.poll(() => decided(li.phone), { timeout: 90_000, interval: 250 }).toEqual(new Set([MEDICAL, ALLOWANCE, CHILDCARE]));
    expect((await find(wang.phone, ALLOWANCE))?.status).toBe('granted');
    expect((await find(wang.phone, CHILDCARE))?.status).toBe('offered');
    expect((await find(li.phone, MEDICAL))?.status).toBe('granted');
    expect((await find(li.phone, ALLOWANCE))?.status).toBe('refused');
  }, 200_000);

  it('王芳 sees her benefits from the home page: the two maternity grants, with amounts, and the offer waiting', async () => {
    const page = await residentPage(wang.phone, '王芳');
    // The one offer (育儿补贴) waits for her.
    await expect.poll(() => page.getByTestId('benefits-waiting').textContent()).toBe('1');
    expect(await page.getByTestId('benefits-entry').textContent()).toContain('1 项待确认');
    await settled(page);
    await shot(page, 'resident-home-benefits');
    expect(await axeSerious(page)).toEqual([]);
    await page.getByTestId('benefits-entry').click();
    await page.waitForURL('**/benefits');
    const items = page.getByTestId('benefit-item');
    await expect.poll(() => items.count()).toBe(3);
    const medical = page.locator(`[data-testid="benefit-item"][data-code="${MEDICAL}"]`);
    expect(await medical.textContent()).toContain('生育医疗费用报销');
    expect(await medical.textContent()).toContain('¥2,000.00');
    expect(await medical.textContent()).toContain('免申即享');
    const allowance = page.locator(`[data-testid="benefit-item"][data-code="${ALLOWANCE}"]`);
    expect(await allowance.textContent()).toContain('生育津贴');
    expect(await allowance.textContent()).toContain('免申即办');
    // 5,600 yuan a month ÷ 30 × (98 + 60) days.
    const amount = (await find(wang.phone, ALLOWANCE))!.amountFen!;
    expect(amount).toBe(Math.floor((560000 * 158) / 30));
    const childcare = page.locator(`[data-testid="benefit-item"][data-code="${CHILDCARE}"]`);
    expect(await childcare.textContent()).toContain('待确认');
    await settled(page);
    await shot(page, 'resident-benefits');
    expect(await axeSerious(page)).toEqual([]);

    // English on request.
    await page.getByTestId('lang-switch').click();
    await page.getByText('Maternity medical expenses').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByText('生育医疗费用报销').waitFor();

    await openBenefit(page, MEDICAL);
    expect(await page.getByTestId('benefit-amount').textContent()).toBe('¥2,000.00');
    const basis = (await page.getByTestId('benefit-basis').textContent()) ?? '';
    expect(basis).toContain('《中华人民共和国社会保险法》');
    expect(basis).toContain('第五十五条');
    expect(basis).toContain(`${MEDICAL} · v1`);
    expect(await page.getByTestId('benefit-why').textContent()).toContain('符合全部条件');
    // Paid once it was granted: the payment shows, and nothing is left to do.
    await expect.poll(async () => (await find(wang.phone, MEDICAL))!.payments.map((p) => p.status)).toEqual(['sent']);
    await page.reload();
    await page.getByTestId('benefit-payments').getByText('已发放').waitFor();
    expect(await page.getByTestId('benefit-status').textContent()).toBe('已发放');
    expect(await page.getByRole('button', { name: '确认领取' }).count()).toBe(0);
    await settled(page);
    await shot(page, 'resident-benefit-detail');
    expect(await axeSerious(page)).toEqual([]);
    await page.close();
  });

  it('王芳 confirms the 育儿补贴 offer, then opts out of it after a confirm dialog', async () => {
    const page = await residentPage(wang.phone, '王芳');
    await page.goto('/benefits');
    await openBenefit(page, CHILDCARE);
    expect(await page.getByTestId('benefit-detail').getAttribute('data-status')).toBe('offered');
    await recordToasts(page);
    await page.getByRole('button', { name: '确认领取' }).click();
    await expect.poll(() => page.getByTestId('benefit-detail').getAttribute('data-status')).toBe('granted');
    expect((await find(wang.phone, CHILDCARE))!.status).toBe('granted');
    // The toast fades in and out by script (no Web Animation settled() could wait for): axe waits
    // until it has been shown and is gone, never checking the contrast of a half-faded toast.
    await toastSeen(page, /./);
    await page.locator('.adm-toast-mask').waitFor({ state: 'detached' });
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);

    // A yearly benefit: she may stop it; the dialog asks first, and cancelling changes nothing.
    await page.getByRole('button', { name: '不再享受' }).click();
    const dialog = page.locator('.adm-dialog');
    await dialog.getByText('确定不再享受「育儿补贴」').waitFor();
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await find(wang.phone, CHILDCARE))!.status).toBe('granted');
    await page.getByRole('button', { name: '不再享受' }).click();
    await dialog.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.getByTestId('benefit-detail').getAttribute('data-status')).toBe('opted_out');
    expect(await page.getByTestId('benefit-status').textContent()).toBe('已退出');
    expect((await find(wang.phone, CHILDCARE))!.status).toBe('opted_out');
    await page.close();
  });

  it('李娜 reads why 生育津贴 was refused, asks for a review, and declines her offer', async () => {
    const page = await residentPage(li.phone, '李娜');
    await page.goto('/benefits');
    const refused = page.locator(`[data-testid="benefit-item"][data-code="${ALLOWANCE}"]`);
    await refused.waitFor();
    expect(await refused.textContent()).toContain('未符合条件');
    await openBenefit(page, ALLOWANCE);
    const why = page.getByTestId('why-failed');
    await expect.poll(() => why.count()).toBe(1);
    expect(await why.textContent()).toBe('未符合：用人单位正常缴纳生育保险费');
    expect(await page.getByTestId('benefit-basis').textContent()).toContain('《女职工劳动保护特别规定》');
    await settled(page);
    await shot(page, 'resident-benefit-refused');
    expect(await axeSerious(page)).toEqual([]);

    const ask = page.getByRole('button', { name: '申请人工复核' });
    expect(await ask.isDisabled()).toBe(true);
    await page.getByLabel('对结果有异议？申请人工复核').fill('单位已于上月补缴生育保险费');
    await recordToasts(page);
    await ask.click();
    await toastSeen(page, /已申请复核/);
    await page.getByTestId('benefit-review').getByText('已申请复核').waitFor();
    expect(await page.getByRole('button', { name: '申请人工复核' }).count()).toBe(0);
    const reviewed = (await find(li.phone, ALLOWANCE))!;
    expect(reviewed.reviewCaseId).not.toBeNull();
    // The review is a case of hers, opened from the page.
    await page.getByTestId('benefit-review').getByText('复核办件').click();
    await page.waitForURL(`**/cases/${reviewed.reviewCaseId}`);

    await page.goto('/benefits');
    await openBenefit(page, CHILDCARE);
    await page.getByRole('button', { name: '放弃' }).click();
    const dialog = page.locator('.adm-dialog');
    await dialog.getByText('确定放弃「育儿补贴」').waitFor();
    await dialog.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.getByTestId('benefit-detail').getAttribute('data-status')).toBe('declined');
    expect((await find(li.phone, CHILDCARE))!.status).toBe('declined');
    await page.close();
  });

  it('the medical security officer sees the figures with take-up and the decisions, payees masked', async () => {
    const officer = await login({ kind: 'staff', username: 'zd-medsec', password: DEMO_PASSWORD, channel: 'web' });
    const figures = await get<Figures[]>(officer, '/api/benefits/figures');
    const allowance = figures.find((f) => f.benefitCode === ALLOWANCE)!;
    expect(allowance).toMatchObject({ eligible: 1, granted: 1, refused: 1, takeUp: 1 });

    const page = await consoleAs(desk, 'zd-medsec');
    await page.getByRole('menuitem', { name: '待遇' }).click();
    await page.waitForURL('**/console/benefits');

    const figureTable = page.getByTestId('benefit-figures');
    for (const f of figures) {
      const row = figureTable.locator('.ant-table-row', { hasText: f.nameZh });
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      expect(text).toContain(f.takeUp === null ? '—' : `${(f.takeUp * 100).toFixed(1)}%`);
    }
    const allowanceRow = (await figureTable.locator('.ant-table-row', { hasText: '生育津贴' }).textContent()) ?? '';
    expect(allowanceRow).toContain('100.0%');
    expect(allowanceRow).toContain('免申即办');

    const grantTable = page.getByTestId('benefit-grants');
    const rows = grantTable.locator('.ant-table-row');
    await expect.poll(() => rows.count()).toBe(4);
    const list = (await grantTable.textContent()) ?? '';
    expect(list).toContain('¥2,000.00');
    expect(list).toContain(`${ALLOWANCE} v1`);
    // Payees masked: the ID numbers never show whole.
    for (const p of demoPeople()) expect(list).not.toContain(p.residentId);
    expect(list).toMatch(/130123\*+\d{3}[\dX]/);
    await settled(page);
    await shot(page, 'console-benefits');
    expect(await axeSerious(page)).toEqual([]);

    // The status filter: only the refusal.
    await page.getByRole('combobox', { name: '状态' }).click();
    // The open list's option (a list still closing is never clickable).
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '未符合条件' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('生育津贴');
    await page.close();
  });

  it('a civil affairs officer pages through the 高龄津贴 decisions of the daily sweep with "load more"', async () => {
    // More people turning 80 or older than one page holds: the daily run grants each of them.
    const year = new Date().getFullYear();
    await server.platform.services.sharingAdmin.upsertRecords(
      'ps.household_register',
      Array.from({ length: 23 }, (_, i) => {
        const birthDate = `${year - 85}-01-01`;
        const residentId = makeResidentId(DEMO_COUNTY, birthDate, 701 + i);
        return { residentId, data: { name: '赵某', birthDate, address: '河北省石家庄市正定县正定镇塔元庄村' } };
      }),
    );
    await server.platform.services.benefits.runDue();
    const officer = await login({ kind: 'staff', username: 'zd-civil', password: DEMO_PASSWORD, channel: 'web' });
    let total = 0;
    let cursor: string | null = null;
    do {
      const page: { items: unknown[]; next: string | null } = await get(
        officer,
        `/api/benefits/grants?benefitCode=${OLD_AGE}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      total += page.items.length;
      cursor = page.next;
    } while (cursor);
    expect(total).toBeGreaterThanOrEqual(23);

    const page = await consoleAs(desk, 'zd-civil');
    await page.getByRole('menuitem', { name: '待遇' }).click();
    await page.waitForURL('**/console/benefits');
    await page.getByTestId('benefit-figures').locator('.ant-table-row', { hasText: '高龄津贴' }).waitFor();
    const rows = page.getByTestId('benefit-grants').locator('.ant-table-row');
    await expect.poll(() => rows.count()).toBe(20);
    expect(await rows.first().textContent()).toContain('高龄津贴');
    while (await page.getByTestId('grants-more').count()) {
      const before = await rows.count();
      await page.getByTestId('grants-more').click();
      await expect.poll(() => rows.count()).toBeGreaterThan(before);
    }
    await expect.poll(() => rows.count()).toBe(total);
    // No row twice.
    const keys = new Set<string | null>();
    for (let i = 0; i < total; i++) keys.add(await rows.nth(i).getAttribute('data-row-key'));
    expect(keys.size).toBe(total);
    await page.close();
  });

  // Runs last: every page above ran under the Content-Security-Policy without a violation.
  it('met the Content-Security-Policy on every page', () => {
    expect(server.cspViolations).toEqual([]);
  });
});
