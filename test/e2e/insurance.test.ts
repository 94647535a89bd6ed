import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_RESIDENTS, demoPeople } from '../../src/demo/demo-people.ts';
import { createHospitalClient, type Transport } from '../../src/modules/insurance/hospital-client.ts';
import { chinaDay } from '../../src/modules/insurance/insurance-context.ts';
import { insurancePolicies, insuranceSettlements } from '../../src/modules/insurance/insurance.tables.ts';
import { sm2SigningKey } from '../../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../../src/verify/sm2-keys.ts';
import { axeSerious } from './axe.ts';
import { DESKTOP, PHONE, SCREENSHOTS, recordToasts, settled, startE2e, toastSeen, type E2eServer, consoleAs } from './harness.ts';

const REGION = '130100';
const HOSPITAL = 'H13012300001';
/** Next year: the new version starts on its 1 March (never in the past, whenever this runs). */
const NEXT = String(new Date().getUTCFullYear() + 1);
const WAIT = 60_000;

/** A stay at 正定县人民医院 (level 2): bed, nursing, surgery, a class-B drug above its standard, a class-C drug, a prosthesis above its standard. */
const STAY = [
  { feedetl_sn: 'L1', med_list_codg: '001102000010000', cnt: 8, pric_fen: 5_000 },
  { feedetl_sn: 'L2', med_list_codg: '001103000010000', cnt: 8, pric_fen: 3_500 },
  { feedetl_sn: 'L3', med_list_codg: '003311000010000', cnt: 1, pric_fen: 780_000 },
  { feedetl_sn: 'L4', med_list_codg: 'XB01ABE005B002010100732', cnt: 20, pric_fen: 4_200 },
  { feedetl_sn: 'L5', med_list_codg: 'XN05CFZ017A001010101333', cnt: 2, pric_fen: 3_000 },
  { feedetl_sn: 'L6', med_list_codg: 'C0311201000000107328', cnt: 1, pric_fen: 880_000 },
];

/** Money as the apps show it: ¥1,234.56. */
function yuan(fen: number): string {
  const whole = Math.floor(fen / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `¥${whole}.${String(fen % 100).padStart(2, '0')}`;
}

// Issue 14 in the browser: 张伟, insured in 石家庄 as an employee, has a stay at a 正定 hospital
// settled through the hospital interface; he reads the settlement's lines and why in 我的医保. The
// medical security officer of 正定 sees the settlement in the console, dry-runs a new policy version
// over this month's settlements and publishes it.
describe('medical insurance in the browser', () => {
  let server: E2eServer;
  let phone: BrowserContext;
  let desk: BrowserContext;
  let setlId = '';
  let hifpPay = 0;
  const zhang = DEMO_RESIDENTS[0]!;
  const zhangId = demoPeople()[0].residentId;

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });

  function injectTransport(): Transport {
    return async ({ url, headers, body }) => {
      const res = await server.app.inject({
        method: 'POST',
        url: new URL(url).pathname,
        headers: { ...headers, host: new URL(url).host },
        payload: body,
      });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
      return { status: res.statusCode, headers: out, body: res.body };
    };
  }

  async function staffToken(username: string): Promise<string> {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username, password: DEMO_PASSWORD, channel: 'web' },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  }

  /** The console in a new tab, signed in as 正定's medical security officer (a console session lasts for its tab). */
  const officerPage = (): Promise<Page> => consoleAs(desk, 'zd-medsec');

  beforeAll(async () => {
    server = await startE2e();
    phone = await server.context(PHONE);
    desk = await server.context(DESKTOP);
    phone.setDefaultTimeout(WAIT);
    desk.setDefaultTimeout(WAIT);

    // Set up through the services: 张伟 enrolled, the hospital registered with its SM2 key, a stay settled over HTTP.
    const services = server.platform.services;
    const psnNo = await services.insuranceAdmin.enrol({
      residentId: zhangId,
      name: zhang.name,
      scheme: 'employee',
      region: REGION,
      fromDate: '2018-01-01',
      accountBalanceFen: 120_000,
    });
    const key = sm2SigningKey(`${HOSPITAL}-key`, sm2GenerateKeyPair().privateKey);
    await services.insuranceAdmin.registerInstitution({
      code: HOSPITAL,
      nameZh: '正定县人民医院',
      nameEn: 'Zhengding County People’s Hospital',
      level: 2,
      region: '130123',
      keyId: key.keyId,
      publicKey: key.publicKey,
    });
    services.insurance.reference.clear();
    const platformKey = (await server.app.inject({ method: 'GET', url: '/api/insurance/hsa/v1/interface-key' })).json<{
      keyId: string;
      publicKeySpki: string;
    }>();
    const hospital = createHospitalClient({
      baseUrl: server.base,
      hospital: { code: HOSPITAL, region: '130123', key },
      platformKey,
      transport: injectTransport(),
    });
    const region = { insuranceRegion: REGION };
    const opened = await hospital.call('2001', { psn_no: psnNo, med_type: '21', begntime: chinaDay(new Date()) }, region);
    const mdtrtId = opened.answer.output!.mdtrt_id as string;
    await hospital.call('2301', { mdtrt_id: mdtrtId, feedetail: STAY }, region);
    const pre = (await hospital.call('2303', { mdtrt_id: mdtrtId }, region)).answer.output!;
    const done = (await hospital.call('2304', { mdtrt_id: mdtrtId, medfee_sumamt: pre.medfee_sumamt }, region)).answer.output!;
    setlId = done.setl_id as string;
    hifpPay = done.hifp_pay as number;
    expect(hifpPay).toBeGreaterThan(0);
  }, 240_000);
  afterAll(async () => {
    await server?.close();
  });

  it('张伟 reads his coverage and the settlement in 我的医保: every line with its explanation, policy version and basis', async () => {
    const page = await phone.newPage();
    await page.goto('/login');
    await page.getByPlaceholder('请输入手机号或身份证号').fill(zhang.phone);
    await page.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText(`您好，${zhang.name}`).waitFor();
    await page.locator('.adm-toast-mask').waitFor({ state: 'detached' });
    await page.goto('/me');
    await page.getByTestId('insurance-entry').click();
    await page.waitForURL('**/insurance');

    const coverage = page.getByTestId('insurance-coverage');
    await coverage.waitFor();
    const text = (await coverage.textContent()) ?? '';
    expect(text).toContain('职工基本医疗保险');
    expect(text).toContain('石家庄市');
    expect(text).toContain('正常参保');
    // The ID number shows masked, never whole.
    expect(text).not.toContain(zhangId);
    expect(text).toContain(zhangId.slice(-4));
    expect(await page.getByTestId('insurance-year').textContent()).toContain(yuan(hifpPay));
    expect(await page.getByTestId('insurance-apply-filing').textContent()).toContain('申请异地就医备案');
    const item = page.locator(`[data-testid="insurance-settlement-item"][data-setl-id="${setlId}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('正定县人民医院');
    await settled(page);
    await shot(page, 'resident-insurance');
    expect(await axeSerious(page)).toEqual([]);

    await item.click();
    await page.waitForURL(`**/insurance/settlements/${setlId}`);
    await page.getByTestId('settlement-detail').waitFor();
    expect(await page.getByTestId('settlement-amounts').textContent()).toContain(yuan(hifpPay));
    const lines = page.getByTestId('settlement-line');
    await expect.poll(() => lines.count(), { timeout: WAIT }).toBe(STAY.length);
    // Each line says why, with the policy version and its basis.
    for (let i = 0; i < STAY.length; i++) {
      const why = (await lines.nth(i).getByTestId('settlement-line-why').textContent()) ?? '';
      expect(why).toContain('130100-2026');
      expect(why).toContain('石家庄市基本医疗保险市级统筹办法');
    }
    expect(await page.locator('[data-line="L5"]').textContent()).toContain('丙类项目，全部自费');
    expect(await page.locator('[data-line="L6"]').textContent()).toContain('超出支付标准的部分自费');
    expect(await page.getByTestId('settlement-why').textContent()).toContain('基金支付');
    await settled(page);
    await shot(page, 'resident-insurance-settlement');
    expect(await axeSerious(page)).toEqual([]);

    // English on request.
    await page.getByTestId('lang-switch').click();
    await page.getByText('Class C: paid in full by the insured').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.close();
  });

  it('the medical security officer sees the settlement, dry-runs a new policy version and publishes it', async () => {
    const page = await officerPage();
    await page.getByRole('menuitem', { name: '医保' }).click();
    await page.waitForURL('**/console/insurance');

    const row = page.getByTestId('insurance-settlements').locator('.ant-table-row', { hasText: setlId });
    await row.waitFor();
    expect(await row.textContent()).toContain(yuan(hifpPay));
    await settled(page);
    await shot(page, 'console-insurance-settlements');
    expect(await axeSerious(page)).toEqual([]);
    await row.getByText(setlId).click();
    await page.waitForURL(`**/console/insurance/settlements/${setlId}`);
    await page.getByTestId('insurance-settlement-detail').waitFor();
    expect(await page.getByTestId('settlement-fund').textContent()).toBe(yuan(hifpPay));
    await expect.poll(() => page.getByTestId('settlement-lines').locator('.ant-table-row').count(), { timeout: WAIT }).toBe(STAY.length);
    expect(await page.getByTestId('settlement-lines').textContent()).toContain('石家庄市基本医疗保险市级统筹办法');

    // 政策: the versions of 石家庄, and a new one from next March with the employees' level-2 share at 95 %.
    await page.getByRole('tab', { name: '政策' }).click();
    await page.waitForURL('**/console/insurance/policies');
    await page.getByTestId('policy-versions').locator('.ant-table-row', { hasText: '130100-2026' }).waitFor();
    const form = page.getByTestId('policy-form');
    await form.waitFor();
    await form.getByLabel('版本号').fill(NEXT);
    await form.getByLabel('施行日期').fill(`${NEXT}-03-01`);
    await form.getByLabel('依据文件').fill(`石家庄市医疗保障局关于提高职工医保住院待遇的通知（${NEXT} 年）`);
    await form.getByLabel('职工医保 2级支付比例').fill('95');
    await form.getByLabel('试算月份').fill(chinaDay(new Date()).slice(0, 7));
    expect(await page.getByTestId('policy-publish-button').isDisabled()).toBe(true);
    await page.getByTestId('policy-dry-run-button').click();
    const run = page.getByTestId('policy-dry-run');
    await run.waitFor();

    // The same figures as the API's dry run of the same proposal.
    const officer = await staffToken('zd-medsec');
    const policies = (
      await server.app.inject({ method: 'GET', url: '/api/insurance/policies', headers: { authorization: `Bearer ${officer}` } })
    ).json<Record<string, unknown>[]>();
    const {
      effectiveTo: _to,
      createdAt: _at,
      createdBy: _by,
      ...current
    } = policies.find((p) => p.region === REGION && p.effectiveTo === null)!;
    const ratio = current.ratioPermille as { employee: Record<string, number>; resident: Record<string, number> };
    const proposal = {
      ...current,
      version: NEXT,
      effectiveFrom: `${NEXT}-03-01`,
      legalBasis: `石家庄市医疗保障局关于提高职工医保住院待遇的通知（${NEXT} 年）`,
      ratioPermille: { ...ratio, employee: { ...ratio.employee, 2: 950 } },
    };
    const api = await server.app.inject({
      method: 'POST',
      url: '/api/insurance/policies/dry-run',
      headers: { authorization: `Bearer ${officer}` },
      payload: { policy: proposal, month: chinaDay(new Date()).slice(0, 7) },
    });
    expect(api.statusCode).toBe(200);
    const expected = api.json<{ count: number; fundFen: { then: number; proposed: number } }>();
    expect(expected.count).toBe(1);
    expect(expected.fundFen.then).toBe(hifpPay);
    expect(expected.fundFen.proposed).toBeGreaterThan(hifpPay);
    expect(await run.getByTestId('dry-run-count').textContent()).toContain('1');
    expect(await run.getByTestId('dry-run-fund-then').textContent()).toContain(yuan(expected.fundFen.then));
    expect(await run.getByTestId('dry-run-fund-proposed').textContent()).toContain(yuan(expected.fundFen.proposed));
    expect(await run.textContent()).toContain(setlId);
    await settled(page);
    await shot(page, 'console-insurance-dry-run');
    expect(await axeSerious(page)).toEqual([]);

    await recordToasts(page);
    await page.getByTestId('policy-publish-button').click();
    const dialog = page.locator('.ant-modal-confirm');
    await dialog.locator('.ant-modal-confirm-title', { hasText: '发布新版本？' }).waitFor();
    await dialog.getByRole('button', { name: /发\s*布/ }).click();
    await toastSeen(page, new RegExp(`已发布 130100-${NEXT}`), { timeout: WAIT });
    await page
      .getByTestId('policy-versions')
      .locator('.ant-table-row', { hasText: `130100-${NEXT}` })
      .waitFor();
    const closed = page.getByTestId('policy-versions').locator('.ant-table-row', { hasText: '130100-2026' });
    await expect.poll(() => closed.textContent(), { timeout: WAIT }).toContain(`${NEXT}-02-28`);

    // In the database: the new version by the officer, the previous one closed the day before.
    const db = server.platform.database.db;
    const [published] = await db
      .select()
      .from(insurancePolicies)
      .where(and(eq(insurancePolicies.region, REGION), eq(insurancePolicies.version, NEXT)));
    expect(published?.effectiveFrom).toBe(`${NEXT}-03-01`);
    expect(published?.data.ratioPermille.employee[2]).toBe(950);
    expect(published?.createdBy).not.toBe('seed');
    const [previous] = await db
      .select()
      .from(insurancePolicies)
      .where(and(eq(insurancePolicies.region, REGION), eq(insurancePolicies.version, '2026')));
    expect(previous?.effectiveTo).toBe(`${NEXT}-02-28`);
    // The settlement itself is unchanged: a dry run writes nothing, a new version applies from its date.
    const [s] = await db.select().from(insuranceSettlements).where(eq(insuranceSettlements.setlId, setlId));
    expect(s?.hifpPayFen).toBe(hifpPay);
    await page.close();
  });

  it('the officer browses the institutions, the catalogue (filtered and searched) and the clearing', async () => {
    const page = await officerPage();
    await page.getByRole('menuitem', { name: '医保' }).click();
    await page.getByRole('tab', { name: '定点机构' }).click();
    await page.getByTestId('insurance-institutions').locator('.ant-table-row', { hasText: HOSPITAL }).waitFor();
    await page.getByRole('tab', { name: '目录' }).click();
    const rows = page.getByTestId('insurance-catalogue').locator('.ant-table-row');
    await expect.poll(() => rows.count(), { timeout: WAIT }).toBeGreaterThan(3);
    await page.getByRole('combobox', { name: '甲乙丙类' }).click();
    await page.locator('.ant-select-item-option', { hasText: '丙类' }).click();
    await expect
      .poll(async () => (await page.getByTestId('insurance-catalogue').textContent()) ?? '', { timeout: WAIT })
      .not.toContain('甲类');
    await page.getByLabel('搜索编码或名称').fill('XN05CFZ017A001010101333');
    await expect.poll(() => rows.count(), { timeout: WAIT }).toBe(1);
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);
    await page.getByRole('tab', { name: '清算' }).click();
    await page.getByTestId('insurance-clearings').getByText('该月尚无清算').waitFor();
    await page.close();
  });

  // Runs last: every page above ran under the Content-Security-Policy without a violation.
  it('met the Content-Security-Policy on every page', () => {
    expect(server.cspViolations).toEqual([]);
  });
});
