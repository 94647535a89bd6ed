import { describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { PASSWORD, VILLAGE } from './factories.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('好差评 over HTTP on %s', (engine) => {
  const suite = appSuite(engine);

  async function token(login: Record<string, string>): Promise<string> {
    const res = await suite.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { ...login, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  }
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  it('a resident rates a completed case once (409 after), a window encounter is rated from the pad page without login, and staff list the bad ones', async () => {
    const { ctx, app } = suite;
    const resident = await ctx.newResident({ name: '陈美玲' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const mine = await token({ kind: 'resident', residentIdOrPhone: resident.residentId, channel: 'app' });
    const staff = await token({ kind: 'staff', username: reviewer.username, channel: 'web' });

    const rate = async (body: Record<string, unknown>) =>
      await app.inject({ method: 'POST', url: `/api/me/cases/${c.id}/rating`, headers: auth(mine), payload: body });
    expect((await rate({ level: 6 })).statusCode).toBe(400);
    const first = await rate({ level: 2, indicators: { convenience: 2 }, comment: '材料要求不清楚' });
    expect(first.statusCode).toBe(200);
    expect(first.json<unknown>()).toMatchObject({ level: 2, bad: true, rectification: { state: 'open' } });
    const second = await rate({ level: 5 });
    expect(second.statusCode).toBe(409);
    expect(second.json<unknown>()).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
    expect((await app.inject({ method: 'POST', url: `/api/me/cases/${c.id}/rating`, payload: { level: 5 } })).statusCode).toBe(401);

    const opened = await app.inject({
      method: 'POST',
      url: '/api/rating-encounters',
      headers: auth(staff),
      payload: { orgCode: VILLAGE, channel: 'window', serviceCode: 'cert.residence' },
    });
    expect(opened.statusCode).toBe(200);
    const { token: padToken } = opened.json<{ token: string }>();
    const page = await app.inject({ method: 'GET', url: `/api/rating-encounters/${padToken}` });
    expect(page.json<unknown>()).toMatchObject({ orgName: '塔元庄村民委员会', channel: 'window', rated: false });
    const padRating = await app.inject({
      method: 'POST',
      url: `/api/rating-encounters/${padToken}/rating`,
      payload: { level: 5, via: 'pad' },
    });
    expect(padRating.statusCode).toBe(200);
    expect(padRating.json<unknown>()).toMatchObject({ subject: 'encounter', channel: 'window', realName: false });
    expect(
      (await app.inject({ method: 'POST', url: `/api/rating-encounters/${padToken}/rating`, payload: { level: 1, via: 'pad' } }))
        .statusCode,
    ).toBe(409);
    expect((await app.inject({ method: 'GET', url: '/api/rating-encounters/ABCDEFGHJKMN' })).statusCode).toBe(404);

    const bad = await app.inject({ method: 'GET', url: `/api/ratings?orgCode=${VILLAGE}&bad=true`, headers: auth(staff) });
    expect(bad.statusCode).toBe(200);
    expect(bad.json<{ items: { caseId: string | null }[] }>().items.map((r) => r.caseId)).toEqual([c.id]);
    expect((await app.inject({ method: 'GET', url: `/api/ratings?orgCode=${VILLAGE}`, headers: auth(mine) })).statusCode).toBe(404);
    const figures = await app.inject({ method: 'GET', url: `/api/ratings/figures?orgCode=${VILLAGE}`, headers: auth(staff) });
    expect(figures.json<unknown>()).toMatchObject({ ratings: 2, good: 1, bad: 1, realNameBad: 1, calledBack: 0, callbackRate: 0 });
  });
});
