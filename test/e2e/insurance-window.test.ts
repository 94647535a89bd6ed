import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDate } from '../../src/core/values.ts';
import { DEMO_PASSWORD } from '../../src/demo/demo-people.ts';
import { makeResidentId } from '../../src/modules/identity/resident-id.ts';
import { insuranceSettlements } from '../../src/modules/insurance/insurance.tables.ts';
import { insuranceWindowLog } from '../../src/modules/insurance/window.tables.ts';
import { axeSerious } from './axe.ts';
import { demoHospitalWindow } from './hospital.ts';
import { DESKTOP, SCREENSHOTS, settled, startE2e, type E2eServer } from './harness.ts';

const HOSPITAL = 'H13012300001';
const CLERK = 'zd-hospital-window';
/** 覃阿婆, insured in 石家庄市 (the demo's pooling region), treated at 正定县人民医院. */
const PATIENT_ID = makeResidentId('130123', '1952-03-14', 21);
const STAY = [
  { feedetlSn: 'L1', code: '001102000010000', quantity: 3, unitPriceFen: 5_000 },
  { feedetlSn: 'L2', code: 'XB01ABE005B002010100732', quantity: 4, unitPriceFen: 4_200 },
  { feedetlSn: 'L3', code: 'XN05CFZ017A001010101333', quantity: 1, unitPriceFen: 3_000 },
];

// The hospital insurance window in the browser: the clerk of 正定县人民医院 signs in to the console
// and lands on 医保窗口, checks the patient's coverage by the ID number she presents, opens her
// stay; the hospital's system uploads the fees; the clerk pre-settles, reads each line's
// explanation, settles and opens the printable statement.
describe('the hospital insurance window in the browser', () => {
  let server: E2eServer;
  let desk: BrowserContext;

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    server = await startE2e();
    desk = await server.context(DESKTOP);
    desk.setDefaultTimeout(20_000);
    await demoHospitalWindow(server.platform, {
      code: HOSPITAL,
      nameZh: '正定县人民医院',
      nameEn: 'Zhengding County People’s Hospital',
      level: 2,
      creditSerial: 'YBH000001',
      clerk: CLERK,
    });
    const { services } = server.platform;
    await services.insuranceAdmin.enrol({
      residentId: PATIENT_ID,
      name: '覃阿婆',
      scheme: 'resident',
      region: '130100',
      fromDate: '2020-01-01',
    });
  });
  afterAll(async () => {
    await desk?.close();
    await server?.close();
  });

  it('checks coverage, opens the stay, pre-settles with each line explained, settles and prints', async () => {
    const page = await desk.newPage();
    await page.goto('/console/login');
    await page.getByLabel('用户名').fill(CLERK);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    // A window clerk handles no cases: the window is the home page, and the menu names it.
    await page.getByTestId('insurance-window').waitFor();
    await page.getByRole('menuitem', { name: '医保窗口' }).waitFor();

    await page.getByTestId('window-id').fill(PATIENT_ID);
    await page.getByRole('button', { name: /查\s*询/ }).click();
    const coverage = page.getByTestId('window-coverage');
    await coverage.waitFor();
    const shown = (await coverage.textContent()) ?? '';
    expect(shown).toContain('覃阿婆');
    expect(shown).toContain('城乡居民医保');
    expect(shown).toContain('正常参保');
    expect(shown).not.toContain(PATIENT_ID);
    expect(shown).toContain(`${PATIENT_ID.slice(0, 6)}********${PATIENT_ID.slice(14)}`);
    await page.mouse.move(0, 0);
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);

    await page.getByRole('button', { name: '登记就诊' }).click();
    const rows = page.getByTestId('window-encounters').locator('.ant-table-row', { hasText: '覃阿婆' });
    await rows.first().waitFor();
    const clerk = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: CLERK, password: DEMO_PASSWORD, channel: 'web' },
    });
    const auth = { authorization: `Bearer ${clerk.json<{ token: string }>().token}` };
    const open = await server.app.inject({ method: 'GET', url: `/api/insurance/window/${HOSPITAL}/encounters`, headers: auth });
    const [encounter] = open.json<{ mdtrtId: string; beginDate: string }[]>();
    expect(encounter!.beginDate).toBe(chinaDate(new Date()));
    // The hospital's system uploads the stay's fees.
    const fees = await server.app.inject({
      method: 'POST',
      url: `/api/insurance/window/${HOSPITAL}/encounters/${encounter!.mdtrtId}/fees`,
      headers: auth,
      payload: { lines: STAY },
    });
    expect(fees.statusCode).toBe(200);

    await page.reload();
    const row = page.getByTestId('window-encounters').locator('.ant-table-row', { hasText: '覃阿婆' });
    await expect.poll(async () => (await row.textContent()) ?? '').toContain('3条');
    await row.getByRole('button', { name: /预\s*结\s*算/ }).click();
    const pre = page.getByTestId('window-presettlement');
    await pre.waitFor();
    const explained = (await pre.textContent()) ?? '';
    const total = STAY.reduce((s, l) => s + l.quantity * l.unitPriceFen, 0);
    expect(explained).toContain(`¥${(total / 100).toFixed(2)}`);
    expect(explained).toContain('床位费（三人间）');
    expect(explained).toContain('130100-2026');
    await settled(page);
    await shot(page, 'console-insurance-window');
    expect(await axeSerious(page)).toEqual([]);

    await pre.getByRole('button', { name: /确认结算/ }).click();
    const done = page.getByTestId('window-settled');
    await done.waitFor();
    const [row1] = await server.platform.database.db
      .select()
      .from(insuranceSettlements)
      .where(eq(insuranceSettlements.mdtrtId, encounter!.mdtrtId));
    expect(row1).toMatchObject({ institutionCode: HOSPITAL, status: 'settled', totalFen: total });
    expect((await done.textContent()) ?? '').toContain(row1!.setlId);

    await done.getByRole('link', { name: '打印结算单' }).click();
    await page.waitForURL(`**/console/insurance-window/statements/${HOSPITAL}/${row1!.setlId}`);
    const statement = page.getByTestId('window-statement');
    await statement.waitFor();
    expect((await statement.textContent()) ?? '').toContain('医疗费用结算单');
    await page.mouse.move(0, 0);
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);

    // Taken back at the window: the statement says so, the settlement is cancelled and the stay open again.
    await statement.getByRole('button', { name: '撤销结算' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: '撤销结算' }).click();
    await expect.poll(async () => (await statement.textContent()) ?? '').toContain('已撤销');
    const [after] = await server.platform.database.db
      .select()
      .from(insuranceSettlements)
      .where(eq(insuranceSettlements.setlId, row1!.setlId));
    expect(after!.status).toBe('cancelled');

    const logged = await server.platform.database.db
      .select()
      .from(insuranceWindowLog)
      .where(eq(insuranceWindowLog.institutionCode, HOSPITAL));
    expect(logged.map((l) => l.action)).toEqual(
      expect.arrayContaining(['coverage', 'open', 'fees', 'presettle', 'settle', 'statement', 'cancel']),
    );
    await page.close();
  });
});
