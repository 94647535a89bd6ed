import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDate } from '../../src/core/values.ts';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_VILLAGE, demoResidentPhone } from '../../src/demo/demo-people.ts';
import { caseEscalations, cases, slaLadders, slaReminderReads } from '../../src/modules/applications/applications.tables.ts';
import { latestFiringDue, stepDay } from '../../src/modules/applications/sla-escalation.ts';
import { workingDaysBetween } from '../../src/modules/catalog/index.ts';
import { axeSerious } from './axe.ts';
import { DESKTOP, SCREENSHOTS, settled, startE2e, type E2eServer, consoleAs } from './harness.ts';

const TOWNSHIP = '130123100';

describe('督办 in the console: a ladder edited, an overdue case reminded and escalated', () => {
  let server: E2eServer;
  let desk: BrowserContext;

  beforeAll(async () => {
    server = await startE2e();
    desk = await server.context(DESKTOP);
    desk.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.platform.database.db;

  it('the county administrator sets its ladder; a bad one is refused with the server’s reason and nothing is written', async () => {
    const page = await consoleAs(desk, 'zd-admin');
    await page.getByRole('menuitem', { name: '督办阶梯' }).click();
    await page.waitForURL('**/console/ladders');
    await expect.poll(() => page.getByTestId('ladder-org').textContent()).toBe('正定县');
    expect(await page.getByTestId('ladder-origin').textContent()).toContain('默认阶梯');

    // Rung 2 at the same offset as rung 1: the server says which rung and why.
    await page.getByLabel('第 2 级：距到期日工作日').fill('-1');
    await page.getByRole('button', { name: /保存为正定县的督办阶梯/ }).click();
    const error = page.getByTestId('ladder-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('督办阶梯配置无效');
    expect(await error.textContent()).toContain('第 2 级');
    expect(await error.textContent()).toContain('SLA_LADDER_INVALID');
    expect(await db().select().from(slaLadders).where(eq(slaLadders.orgCode, DEMO_COUNTY))).toEqual([]);

    // A reminder to the village once overdue, the township one working day later; no third rung.
    await page.getByLabel('第 1 级：距到期日工作日').fill('0');
    await page.getByLabel('第 2 级：距到期日工作日').fill('1');
    await page.getByRole('button', { name: '删除第 3 级' }).click();
    await page.getByRole('button', { name: /保存为正定县的督办阶梯/ }).click();
    await expect.poll(() => page.getByTestId('ladder-origin').textContent()).toBe('本级设置');
    expect(await page.getByTestId('ladder-error').count()).toBe(0);
    const [saved] = await db().select().from(slaLadders).where(eq(slaLadders.orgCode, DEMO_COUNTY));
    expect(saved?.steps).toEqual([
      { offset: 0, levelsUp: 0 },
      { offset: 1, levelsUp: 1 },
    ]);
    await settled(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-ladder.png'), fullPage: true });
    expect(await axeSerious(page)).toEqual([]);
    await page.close();
  }, 120_000);

  it('the village reviewer sees the overdue case’s reminder, marks it seen and opens the case; the township sees its escalation', async () => {
    const { identity, applications } = server.platform.services;
    const { token } = await identity.login({
      kind: 'resident',
      residentIdOrPhone: demoResidentPhone(0),
      password: DEMO_PASSWORD,
      channel: 'app',
    });
    const resident = (await identity.authenticate(token))!;
    const { case: made } = await applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    // Due on a day long enough ago for both rungs of the county's ladder to have fired.
    const today = chinaDate(new Date());
    const due = latestFiringDue(today, 1);
    // Submitted the promised three working days before it (10:00 in China), so the clock reads as a real late case.
    const submitted = new Date(`${stepDay(due, -3)}T02:00:00Z`);
    await db().update(cases).set({ dueDate: due, submittedAt: submitted, slaStartedAt: submitted }).where(eq(cases.id, made.id));
    const steps = (await applications.escalateOverdue()).filter((s) => s.caseId === made.id);
    expect(steps.map((s) => [s.step, s.toOrgCode])).toEqual([
      [1, DEMO_VILLAGE],
      [2, TOWNSHIP],
    ]);
    const late = workingDaysBetween(due, today);

    const page = await consoleAs(desk, 'tyz-reviewer');
    await page.getByTestId('reminder-badge').waitFor();
    await page.getByRole('menuitem', { name: /催办提醒/ }).click();
    await page.waitForURL('**/console/reminders');
    const row = page.locator('.ant-table-row', { hasText: made.caseNo });
    await row.waitFor();
    expect(await row.getByTestId('reminder-rung').textContent()).toContain('第 1 级');
    expect(await row.getByTestId('reminder-rung').textContent()).toContain('催办：提醒办理单位');
    expect(await row.getByTestId('reminder-overdue').textContent()).toBe(late > 0 ? `超期 ${late} 个工作日` : '未超期');
    // The reviewer does not see the township's escalation of the same case.
    expect(await row.count()).toBe(1);
    await settled(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-reminders.png'), fullPage: true });
    expect(await axeSerious(page)).toEqual([]);

    const unseenBefore = Number((await page.getByTestId('reminders-unseen').textContent())!.replace(/\D/g, ''));
    await row.getByRole('button', { name: `${made.caseNo} 标为已读` }).click();
    await expect
      .poll(async () => Number((await page.getByTestId('reminders-unseen').textContent())!.replace(/\D/g, '')))
      .toBe(unseenBefore - 1);
    const reviewerId = await accountId('tyz-reviewer');
    const reads = await db().select().from(slaReminderReads).where(eq(slaReminderReads.accountId, reviewerId));
    const [reminded] = await db()
      .select({ id: caseEscalations.id })
      .from(caseEscalations)
      .where(and(eq(caseEscalations.caseId, made.id), eq(caseEscalations.step, 1)));
    expect(reads.map((r) => r.escalationId)).toContain(reminded!.id);

    // Into the case: its clock and both rungs taken.
    await row.getByTestId('reminder-case').click();
    await page.waitForURL(`**/console/cases/${made.id}`);
    const sla = page.getByTestId('case-sla');
    await sla.getByText('塔元庄村', { exact: false }).first().waitFor();
    expect(await sla.getByTestId('sla-used').textContent()).toMatch(/ \/ \d+ 个工作日$/);
    expect(await sla.getByTestId('sla-escalations').locator('.ant-table-row').count()).toBe(2);
    expect(await sla.textContent()).toContain('督办：报上一级');
    await settled(page);
    await sla.screenshot({ path: path.join(SCREENSHOTS, 'console-case-sla.png') });
    expect(await axeSerious(page)).toEqual([]);
    await page.close();

    // The township administrator: the escalation, not the village's reminder.
    const township = await consoleAs(desk, 'zdz-admin');
    await township.goto('/console/reminders');
    const escalated = township.locator('.ant-table-row', { hasText: made.caseNo });
    await escalated.waitFor();
    expect(await escalated.count()).toBe(1);
    expect(await escalated.getByTestId('reminder-rung').textContent()).toContain('第 2 级');
    expect(server.cspViolations).toEqual([]);
    await township.close();
  }, 120_000);

  async function accountId(username: string): Promise<string> {
    const { rows } = await db().execute<{ id: string }>(sql`select account_id as id from staff where username = ${username}`);
    return rows[0]!.id;
  }
});
