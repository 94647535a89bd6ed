import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_VILLAGE } from '../../src/demo/demo-people.ts';
import { encodeRatingLeaf, type RatingLeafEvent } from '../../src/modules/ratings/leaf.ts';
import { PHONE, SCREENSHOTS, settled, startE2e, type E2eServer } from './harness.ts';

// 好差评公开数字 in the browser, without logging in: November 2026's figures of 正定县 from rating
// leaves in the ledger (one before the month, seven in it, one after the cut-off), small counts
// shown as suppressed, and the Verify button recomputing them from the bundle in the page.
describe('public rating figures in the browser', () => {
  let server: E2eServer;
  let phone: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startE2e();
    const { ledger } = server.platform.services;
    let n = 0;
    const rated = (level: number): RatingLeafEvent => ({
      event: 'rated',
      rating: `e2e-${++n}`,
      org: DEMO_VILLAGE,
      service: 'cert.residence',
      subject: 'case',
      level,
      channel: 'app',
      realName: true,
      rater: null,
    });
    const leaves: [RatingLeafEvent, string][] = [
      [rated(5), '2026-10-20T02:00:00Z'],
      ...[5, 5, 4, 5, 4, 3, 1].map((l, i): [RatingLeafEvent, string] => [rated(l), `2026-11-${10 + i}T02:00:00Z`]),
      [rated(4), '2026-12-05T02:00:00Z'],
    ];
    for (const [event, at] of leaves) await ledger.append({ kind: 'rating.v1', data: encodeRatingLeaf(event, new Date(at)) });
    await ledger.sequenceNow();
    phone = await server.context(PHONE);
    phone.setDefaultTimeout(15_000);
    page = await phone.newPage();
  }, 180_000);
  afterAll(async () => {
    await phone?.close();
    await server?.close();
  });

  it('shows the county’s month without login and verifies it in the page', async () => {
    await page.goto(`${server.base}/figures?period=2026-11&org=130123`);
    await page.getByText('正定县 · 2026-11').waitFor();
    expect(await page.locator('[data-figure="ratings"]').first().textContent()).toBe('7');
    expect(await page.locator('[data-figure="goodRate"]').first().textContent()).toBe('71.4%');
    expect(await page.locator('[data-figure="bad"]').first().textContent()).toContain('少于5');
    await page.getByRole('button', { name: '验证' }).click();
    await page.getByText('验证通过：数字由账本重新算出').waitFor();
    await settled(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'resident-figures.png'), fullPage: true });

    await page.goto(`${server.base}/figures?period=2026-11&org=999999`);
    await page.getByText('暂无数字').waitFor();
  });
});
