import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createServices } from '../src/app.ts';
import { DEMO_PASSWORD, DEMO_VILLAGE, isDemoSeeded, seedDemo } from '../src/demo/demo-data.ts';
import { createTestDatabase } from './db.ts';

describe('demo data', () => {
  it('loads once, with cases in every state and an issued certificate, and is safe to load again', async () => {
    const database = await createTestDatabase('pglite');
    try {
      const services = createServices(database, { masterKey: randomBytes(32) });
      expect(await isDemoSeeded(services)).toBe(false);
      const credentials = await seedDemo(database, services, { divisions: { prefix: '130123' } });
      expect(await isDemoSeeded(services)).toBe(true);
      expect(credentials.map((c) => c.login)).toEqual(expect.arrayContaining(['admin', 'tyz-reviewer', 'zd-admin', 'tyz-helper']));
      expect(credentials.every((c) => !/\d{17}[\dX]/.test(c.login))).toBe(true);
      const reviewerLogin = await services.identity.login({ kind: 'staff', username: 'tyz-reviewer', password: DEMO_PASSWORD, channel: 'web' });
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
