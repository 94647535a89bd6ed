import { describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { PASSWORD, VILLAGE } from './factories.ts';

const COUNTY = '130123';

describe.each(testEngines())('supervision dashboards over HTTP on %s', (engine) => {
  const suite = appSuite(engine);

  async function bearer(username: string): Promise<{ authorization: string }> {
    const res = await suite.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username, password: PASSWORD, channel: 'web' },
    });
    expect(res.statusCode).toBe(200);
    return { authorization: `Bearer ${res.json<{ token: string }>().token}` };
  }

  it('answers the view, refuses the unknown, the foreign and the anonymous, and exports files with Chinese headers', async () => {
    const { ctx, app } = suite;
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    await ctx.services.events.drain();
    const county = await bearer((await ctx.newStaff('county_admin', COUNTY)).username);

    const view = await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}`, headers: county });
    expect(view.statusCode).toBe(200);
    const body = view.json<{ org: { code: string }; figures: { submitted: number; decided: number }; children: unknown[] }>();
    expect(body.org.code).toBe(COUNTY);
    expect(body.figures).toMatchObject({ submitted: 1, decided: 1 });
    expect(body.children.length).toBeGreaterThan(10);

    expect((await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/dashboards/999999', headers: county })).statusCode).toBe(404);
    const other = await bearer((await ctx.newStaff('county_admin', '130102')).username);
    const foreign = await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}`, headers: other });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json<unknown>()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const period = await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}?from=2026-05-02&to=2026-05-01`, headers: county });
    expect(period.statusCode).toBe(400);
    expect(period.json<unknown>()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });

    const csv = await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}/export?table=children&format=csv`, headers: county });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="dashboard-130123-children-.*\.csv"$/);
    expect(csv.body.replace(/^\uFEFF/, '').split('\r\n')[0]).toMatch(/^机构代码,机构名称,层级,申请件数/);
    const township = csv.body.split('\r\n').find((l) => l.startsWith('130123100,'))!;
    expect(township.split(',').slice(3, 6)).toEqual(['1', '1', '1']);
    const xlsx = await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}/export?table=services&format=xlsx`, headers: county });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
    // A zip (an .xlsx is one).
    expect(xlsx.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(
      (await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}/export?table=cases&format=csv`, headers: county })).statusCode,
    ).toBe(400);
    expect(
      (await app.inject({ method: 'GET', url: `/api/dashboards/${COUNTY}/export?table=trend&format=csv`, headers: other })).statusCode,
    ).toBe(404);
  });

  it('answers an unchanged view with 304 to the ETag the caller holds, and a changed one in full', async () => {
    const { ctx, app } = suite;
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const headers = await bearer(reviewer.username);
    const first = await app.inject({ method: 'GET', url: `/api/dashboards/${VILLAGE}`, headers });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toContain('application/json');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const etag = String(first.headers['etag']);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const before = first.json<{ figures: { submitted: number } }>().figures.submitted;

    const same = await app.inject({ method: 'GET', url: `/api/dashboards/${VILLAGE}`, headers: { ...headers, 'if-none-match': etag } });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    expect(same.headers['etag']).toBe(etag);
    // A weak comparison, and one of a list, match too; another period is another answer.
    const weak = await app.inject({
      method: 'GET',
      url: `/api/dashboards/${VILLAGE}`,
      headers: { ...headers, 'if-none-match': `"x", W/${etag}` },
    });
    expect(weak.statusCode).toBe(304);
    const other = await app.inject({
      method: 'GET',
      url: `/api/dashboards/${VILLAGE}?from=2020-01-01&to=2020-01-31`,
      headers: { ...headers, 'if-none-match': etag },
    });
    expect(other.statusCode).toBe(200);
    // Refused callers get their refusal, never a 304.
    const anonymous = await app.inject({ method: 'GET', url: `/api/dashboards/${VILLAGE}`, headers: { 'if-none-match': etag } });
    expect(anonymous.statusCode).toBe(401);

    // A case counted changes the view: the old tag gets the whole new answer.
    const resident = await ctx.newResident();
    await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' },
    });
    await ctx.services.events.drain();
    const changed = await app.inject({ method: 'GET', url: `/api/dashboards/${VILLAGE}`, headers: { ...headers, 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['etag']).not.toBe(etag);
    expect(changed.json<{ figures: { submitted: number } }>().figures.submitted).toBe(before + 1);
  });
});
