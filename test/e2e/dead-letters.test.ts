import { sql } from 'drizzle-orm';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSerious } from './axe.ts';
import { DESKTOP, settled, startE2e, type E2eServer, consoleAs } from './harness.ts';

// The console's 失败事件 page: the platform administrator sees an event that failed every attempt,
// retries it, and it leaves the list (the worker then handles it); the retry is recorded.
describe('dead letters in the console', () => {
  let server: E2eServer;
  let desk: BrowserContext;
  let eventId = 0;

  beforeAll(async () => {
    server = await startE2e();
    desk = await server.context(DESKTOP);
    desk.setDefaultTimeout(15_000);
    // A dead letter as the worker leaves one after its last attempt (a topic no handler takes, so the retry completes).
    const { rows } = await server.platform.database.db.execute<{ id: string | number }>(
      sql`insert into outbox (topic, payload, attempts, last_error, dead_at)
          values ('e2e.dead', '{"caseId":"e2e-dead-letter"}', 8, 'e2e.handler: gateway answered 503', now()) returning id`,
    );
    eventId = Number(rows[0]!.id);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the platform administrator retries a dead letter and it leaves the list', async () => {
    const page = await consoleAs(desk, 'admin');
    await page.getByRole('menuitem', { name: '失败事件' }).click();
    await page.waitForURL('**/console/events');

    const row = page.locator('.ant-table-row', { hasText: 'e2e-dead-letter' });
    await row.waitFor();
    expect(await row.textContent()).toContain('gateway answered 503');
    await settled(page);
    expect(await axeSerious(page)).toEqual([]);

    await row.getByRole('button', { name: /重\s*试/ }).click();
    await row.waitFor({ state: 'detached' });

    const { db } = server.platform.database;
    const retries = await db.execute<{ n: number }>(sql`select count(*)::int as n from event_retries where event_id = ${eventId}`);
    expect(retries.rows[0]!.n).toBe(1);
    // Due again, and the worker takes it (no handler subscribes to its topic, so it is done at once).
    await expect
      .poll(
        async () =>
          (
            await db.execute<{ dead: boolean; done: boolean }>(
              sql`select dead_at is not null as dead, processed_at is not null as done from outbox where id = ${eventId}`,
            )
          ).rows[0],
        { timeout: 20_000, interval: 100 },
      )
      .toEqual({ dead: false, done: true });
    await page.close();
  });
});
