import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createServices } from '../src/app.ts';
import { sql } from 'drizzle-orm';
import { isDemoSeeded, isPlatformSeeded, seedDemo, seedPlatform } from '../src/demo/demo-data.ts';
import { DEMO_PASSWORD, DEMO_VILLAGE, demoCredentials } from '../src/demo/demo-people.ts';
import { createTestDatabase } from './db.ts';

describe('demo data', () => {
  it('outside demo mode loads divisions, catalogue and datasets, but no account and no personal record', async () => {
    const database = await createTestDatabase('pglite');
    try {
      const services = createServices(database, { masterKey: randomBytes(32) });
      expect(await isPlatformSeeded(database, services)).toBe(false);
      await seedPlatform(database, services, { divisions: { prefix: '130123' } });
      expect(await isPlatformSeeded(database, services)).toBe(true);
      expect(await isDemoSeeded(services)).toBe(false);
      expect((await services.catalog.listItems({})).length).toBeGreaterThan(0);
      expect(await services.orgs.getOrg(DEMO_VILLAGE)).not.toBeNull();
      const count = async (table: string) =>
        (await database.db.execute<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`))).rows[0]!.n;
      expect(await count('accounts')).toBe(0);
      expect(await count('sharing_records')).toBe(0);
      expect(await count('cases')).toBe(0);
      expect(await count('sharing_datasets')).toBeGreaterThan(0);
      // The rules in force (高龄津贴, 居住证明秒批, the three maternity and childcare benefits', and
      // 异地就医备案秒批), switched on by the platform seed, with two ledger leaves each; and the benefit catalogue.
      expect(await count('rule_versions')).toBe(6);
      expect(await count('benefits')).toBe(4);
      const oldAge = await services.rules.decideWith('benefit.old_age_allowance', 'k', {
        'ps.household_register': { birthDate: '1930-01-01', address: '河北省石家庄市正定县' },
      });
      expect(oldAge).toMatchObject({ outcome: 'eligible', amountFen: 20000, trace: { version: 1 } });
      expect(
        await services.rules.decideWith('instant.residence_proof', 'k', { 'ps.household_register': { address: '河北省石家庄市正定县' } }),
      ).toMatchObject({ outcome: 'eligible', trace: { version: 1 } });
      await seedPlatform(database, services, { divisions: { prefix: '130123' } });
      expect(await count('rule_versions')).toBe(6);
      expect(await count('benefits')).toBe(4);
      // Queued or sequenced: no sequencer runs here.
      const leaves = await database.db.execute<{ n: number }>(
        sql.raw(`select count(*)::int as n from (select kind from ledger_queue union all select kind from ledger_entries) l
                 where kind = 'rule.version'`),
      );
      expect(leaves.rows[0]!.n).toBe(12);
      for (const c of demoCredentials()) {
        if (c.login.includes('(')) continue;
        await expect(
          services.identity.login({ kind: 'staff', username: c.login, password: DEMO_PASSWORD, channel: 'web' }),
        ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      }
      // No administrator: the first one comes from `yiban admin create` or the bootstrap token.
      expect(await services.identity.needsBootstrap()).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('loads once, with cases in every state and an issued certificate, and is safe to load again', async () => {
    const database = await createTestDatabase('pglite');
    try {
      const services = createServices(database, { masterKey: randomBytes(32) });
      expect(await isDemoSeeded(services)).toBe(false);
      const credentials = await seedDemo(database, services, { divisions: { prefix: '130123' } });
      expect(await isDemoSeeded(services)).toBe(true);
      expect(await services.identity.needsBootstrap()).toBe(false);
      expect(await services.identityAdmin.issueBootstrapToken()).toBeNull();
      await expect(
        services.identity.login({ kind: 'staff', username: 'admin', password: 'Yiban2026', channel: 'web' }),
      ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(credentials.map((c) => c.login)).toEqual(expect.arrayContaining(['admin', 'tyz-reviewer', 'zd-admin', 'tyz-helper']));
      expect(credentials.every((c) => !/\d{17}[\dX]/.test(c.login))).toBe(true);
      const reviewerLogin = await services.identity.login({
        kind: 'staff',
        username: 'tyz-reviewer',
        password: DEMO_PASSWORD,
        channel: 'web',
      });
      const reviewer = (await services.identity.authenticate(reviewerLogin.token))!;
      const queue = await services.applications.queue(reviewer, { orgCode: DEMO_VILLAGE, limit: 50 });
      const library = (await services.dataSharing.listDatasets(reviewer)).filter((d) => d.adapter === 'licences');
      expect(library.map((d) => d.code)).toContain('licence.residence');
      expect(queue.items.some((i) => i.overdue)).toBe(true);
      const states = new Set<string>();
      for (const state of ['submitted', 'in_review', 'returned', 'rejected', 'completed'] as const) {
        const page = await services.applications.queue(reviewer, { orgCode: DEMO_VILLAGE, state, limit: 50 });
        if (page.items.length > 0) states.add(state);
      }
      expect([...states].sort()).toEqual(['completed', 'in_review', 'rejected', 'returned', 'submitted']);
      await seedDemo(database, services, { divisions: { prefix: '130123' } });
      expect((await services.applications.queue(reviewer, { orgCode: DEMO_VILLAGE, limit: 50 })).items.length).toBe(queue.items.length);
    } finally {
      await database.close();
    }
  });
});
