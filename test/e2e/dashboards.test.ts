import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_VILLAGE } from '../../src/demo/demo-people.ts';
import { DESKTOP, PHONE, SCREENSHOTS, startE2e, type E2eServer, consoleAs } from './harness.ts';

describe('supervision dashboards in the browser', () => {
  let server: E2eServer;
  let desk: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    server = await startE2e();
    desk = await server.context({ ...DESKTOP, acceptDownloads: true });
    phone = await server.context(PHONE);
    desk.setDefaultTimeout(15_000);
    phone.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.platform.database.db;

  /** Submitted and decided cases of a subtree, counted from the cases themselves (not the aggregate). */
  async function count(prefix: string): Promise<{ submitted: number; decided: number }> {
    const { rows } = await db().execute<{ submitted: number; decided: number }>(sql`
      select count(*)::int as submitted, (count(*) filter (where decided_at is not null))::int as decided
      from cases where org_path like ${`${prefix}%`} and submitted_at is not null`);
    return { submitted: Number(rows[0]!.submitted), decided: Number(rows[0]!.decided) };
  }

  /** Until the worker has counted every case event the demo wrote. */
  async function counted(): Promise<void> {
    const pending = async () => {
      const { rows } = await db().execute<{ n: number }>(
        sql`select count(*)::int as n from outbox where processed_at is null and topic in ('case.submitted', 'case.decided', 'certificate.issued')`,
      );
      return Number(rows[0]!.n);
    };
    await expect.poll(pending, { timeout: 30_000, interval: 100 }).toBe(0);
  }

  const statistic = async (page: Page, title: string) =>
    (await page.locator('.ant-statistic', { hasText: title }).locator('.ant-statistic-content').textContent())?.trim();

  it('city → county → township → village with the counts of the database, a CSV download of the same numbers, and into the queue', async () => {
    await counted();
    const page = await consoleAs(desk, 'sjz-admin');
    await page.getByRole('menuitem', { name: '督查看板' }).click();
    const here = page.getByTestId('dashboard-org');
    await expect.poll(() => here.textContent()).toBe('石家庄市');
    await page.getByTestId('dashboard-trend').locator('canvas').first().waitFor();
    const city = await count('13.1301.');
    expect(city.submitted).toBeGreaterThan(0);
    expect(await statistic(page, '申请 / 办结')).toBe(`${city.submitted} / ${city.decided}`);

    for (const name of ['正定县', '正定镇']) {
      await page.locator('.ant-table-row', { hasText: name }).first().click();
      await expect.poll(() => here.textContent()).toBe(name);
      expect(await page.locator('.ant-breadcrumb').textContent()).toContain('石家庄市');
    }
    const township = await count('13.1301.130123.130123100.');
    expect(await statistic(page, '申请 / 办结')).toBe(`${township.submitted} / ${township.decided}`);
    await page.getByTestId('dashboard-children-chart').locator('canvas').first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-dashboard.png'), fullPage: true });

    // The children table as CSV: Chinese headers, the village's numbers as the database counts them.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-children-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^dashboard-130123100-children-.*\.csv$/);
    const file = await download.path();
    const lines = readFileSync(file, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toMatch(/^机构代码,机构名称,层级,申请件数,网上申请件数,办结件数,/);
    const village = await count(`13.1301.130123.130123100.${DEMO_VILLAGE}`);
    const row = lines.find((l) => l.startsWith(`${DEMO_VILLAGE},`))!.split(',');
    expect([Number(row[3]), Number(row[5])]).toEqual([village.submitted, village.decided]);

    // Down to the village, then into its overdue queue.
    await page.locator('.ant-table-row', { hasText: '塔元庄' }).first().click();
    await expect.poll(() => here.textContent()).toContain('塔元庄');
    expect(await statistic(page, '申请 / 办结')).toBe(`${village.submitted} / ${village.decided}`);
    await page.getByRole('link', { name: '查看超期办件队列' }).click();
    await page.waitForURL(`**/console?orgCode=${DEMO_VILLAGE}&overdue=1`);
    expect(server.cspViolations).toEqual([]);
    await page.close();
  }, 120_000);

  it('fits a phone: the township administrator sees her township, cannot climb, and the page does not scroll sideways', async () => {
    const page = await consoleAs(phone, 'zdz-admin');
    await page.goto('/console/dashboard');
    await expect.poll(() => page.getByTestId('dashboard-org').textContent()).toBe('正定镇');
    await page.getByTestId('dashboard-figures').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    const answer = await page.evaluate<number>(`(async () => (await fetch('/api/dashboards/130123')).status)()`);
    expect(answer).toBe(404);
    await page.close();
  }, 90_000);
});
