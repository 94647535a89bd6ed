import { describe, expect, it } from 'vitest';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { PASSWORD, VILLAGE } from './factories.ts';

describe.each(testEngines())('the inbox over HTTP on %s', (engine) => {
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

  it('lists a resident’s messages with the unread count, marks one read, and hides them from everyone else', async () => {
    const { ctx, app } = suite;
    const resident = await ctx.newResident();
    const other = await ctx.newResident();
    const ids: string[] = [];
    for (const n of ['一', '二', '三']) {
      const { id } = await ctx.database.db.transaction((tx) =>
        ctx.services.inbox.notifyInTx(tx, {
          accountId: resident.accountId,
          key: `case.update:${n}`,
          kind: 'case.update',
          titleZh: `办件进度${n}`,
          titleEn: `Case update ${n}`,
          bodyZh: '您的办件已受理。',
          bodyEn: 'Your case was accepted.',
          link: '/cases',
        }),
      );
      ids.push(id);
    }
    const mine = await token({ kind: 'resident', residentIdOrPhone: resident.residentId, channel: 'app' });
    const theirs = await token({ kind: 'resident', residentIdOrPhone: other.residentId, channel: 'app' });
    const staff = await ctx.newStaff('village_reviewer', VILLAGE);
    const officer = await token({ kind: 'staff', username: staff.username, channel: 'web' });

    const page = await app.inject({ method: 'GET', url: '/api/inbox?limit=2', headers: auth(mine) });
    expect(page.statusCode).toBe(200);
    const body = page.json<{ items: { id: string; title: { zh: string } }[]; unreadCount: number; next: string | null }>();
    expect(body.unreadCount).toBe(3);
    expect(body.items.map((m) => m.title.zh)).toEqual(['办件进度三', '办件进度二']);
    const rest = await app.inject({ method: 'GET', url: `/api/inbox?limit=2&cursor=${body.next}`, headers: auth(mine) });
    expect(rest.json<{ items: { id: string }[]; next: string | null }>()).toMatchObject({ items: [{ id: ids[0] }], next: null });

    expect((await app.inject({ method: 'GET', url: '/api/inbox', headers: auth(theirs) })).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/api/inbox', headers: auth(officer) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/inbox' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/inbox?limit=0', headers: auth(mine) })).statusCode).toBe(400);

    const read = (t: string, id: string) => app.inject({ method: 'POST', url: `/api/inbox/${id}/read`, headers: auth(t) });
    expect((await read(theirs, ids[1]!)).statusCode).toBe(404);
    expect((await read(mine, 'not-a-uuid')).statusCode).toBe(400);
    const done = await read(mine, ids[1]!);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ id: ids[1], unreadCount: 2 });
    const after = await app.inject({ method: 'GET', url: '/api/inbox', headers: auth(mine) });
    expect(after.json<{ unreadCount: number }>().unreadCount).toBe(2);
  });
});
