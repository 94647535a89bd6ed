import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import type { Principal } from '../identity/index.ts';
import type { Notice } from './notify.ts';
import { createSmsGateway } from '../identity/index.ts';
import { demoNoticeSender, gatewayNoticeSender, type NoticeSender, type NoticeSms } from './notice-senders.ts';
import { smsTitle } from './sms.ts';

/** A notice sender that keeps what it sends; `failNext` makes the next send throw (a gateway down). */
function capturingNoticeSender() {
  const sent: NoticeSms[] = [];
  let failures = 0;
  const sender: NoticeSender & { sent: NoticeSms[]; failNext(n: number): void } = {
    delivery: 'sms',
    sent,
    failNext(n) {
      failures = n;
    },
    async send(sms) {
      if (failures > 0) {
        failures--;
        throw new Error('gateway answered 503');
      }
      sent.push(sms);
    },
  };
  return sender;
}

const notice = (accountId: string, key: string, extra: Partial<Notice> = {}): Notice => ({
  accountId,
  key,
  kind: 'benefit.granted',
  titleZh: '高龄津贴已发放',
  titleEn: 'Old-age allowance granted',
  bodyZh: '您的高龄津贴每月 200 元，依据《河北省高龄津贴办法》。',
  bodyEn: 'Your old-age allowance is 200 yuan a month, under the Hebei old-age allowance rules.',
  link: '/benefits/4b3f0d0e-6a55-4a3b-9a59-0d2f1c7e8a11',
  data: { amountFen: 20000 },
  ...extra,
});

describe.each(testEngines())('inbox on %s', (engine) => {
  let ctx: TestContext;
  let sender: ReturnType<typeof capturingNoticeSender>;
  let resident: Principal & { residentId: string; phone: string };
  let other: Principal & { residentId: string; phone: string };

  beforeAll(async () => {
    sender = capturingNoticeSender();
    ctx = await createTestContext(engine, { noticeSender: sender });
    resident = await ctx.newResident();
    other = await ctx.newResident();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const notify = (n: Notice) => ctx.database.db.transaction((tx) => ctx.services.inbox.notifyInTx(tx, n));
  const smsEvents = async (messageId: string) => {
    const { rows } = await ctx.database.db.execute<{ id: number; payload: Record<string, unknown> }>(
      sql`select id, payload from outbox where topic = 'inbox.sms' and payload->>'messageId' = ${messageId}`,
    );
    return rows;
  };
  const smsStatus = async (id: string) => {
    const { rows } = await ctx.database.db.execute<{ sms_status: string }>(sql`select sms_status from inbox_messages where id = ${id}`);
    return rows[0]?.sms_status;
  };

  it('commits a notice with the change it announces, and a retry of the same key finds it instead of writing another', async () => {
    const key = 'benefit.granted:retried';
    // The caller's transaction fails after the notice: no message, no SMS event.
    const failed = await rejection(
      ctx.database.db.transaction(async (tx) => {
        await ctx.services.inbox.notifyInTx(tx, notice(resident.accountId, key, { sms: true }));
        throw new Error('the state change failed');
      }),
    );
    expect(failed).toContain('the state change failed');
    expect((await ctx.services.inbox.list(resident)).items.filter((m) => m.kind === 'benefit.granted')).toHaveLength(0);

    const first = await notify(notice(resident.accountId, key, { sms: true }));
    const again = await notify(notice(resident.accountId, key, { sms: true, titleZh: '换了标题' }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    expect(await smsEvents(first.id)).toHaveLength(1);
    // The same key for another resident is another message.
    expect((await notify(notice(other.accountId, key))).created).toBe(true);

    const page = await ctx.services.inbox.list(resident);
    const mine = page.items.filter((m) => m.id === first.id);
    expect(mine).toEqual([
      expect.objectContaining({
        kind: 'benefit.granted',
        title: { zh: '高龄津贴已发放', en: 'Old-age allowance granted' },
        link: '/benefits/4b3f0d0e-6a55-4a3b-9a59-0d2f1c7e8a11',
        data: { amountFen: 20000 },
        readAt: null,
      }),
    ]);
  });

  it('refuses a notice that is not well formed (kind, link, sizes)', async () => {
    expect(await rejection(notify(notice(resident.accountId, 'bad-kind', { kind: 'Benefit Granted' })))).toBe('VALIDATION_FAILED');
    expect(await rejection(notify(notice(resident.accountId, 'bad-link', { link: 'https://example.com/' })))).toBe('VALIDATION_FAILED');
    expect(await rejection(notify(notice(resident.accountId, 'bad-title', { titleZh: '' })))).toBe('VALIDATION_FAILED');
    expect(await rejection(notify(notice('not-a-uuid', 'bad-account')))).toBe('VALIDATION_FAILED');
  });

  it('lists only the caller’s own messages, newest first, in pages, with the unread count', async () => {
    const owner = await ctx.newResident();
    for (let i = 0; i < 5; i++)
      await notify(notice(owner.accountId, `case.update:${i}`, { kind: 'case.update', titleZh: `办件进度 ${i}` }));
    const first = await ctx.services.inbox.list(owner, { limit: 2 });
    expect(first.unreadCount).toBe(5);
    expect(first.items.map((m) => m.title.zh)).toEqual(['办件进度 4', '办件进度 3']);
    const second = await ctx.services.inbox.list(owner, { limit: 2, cursor: first.next! });
    const third = await ctx.services.inbox.list(owner, { limit: 2, cursor: second.next! });
    expect([...second.items, ...third.items].map((m) => m.title.zh)).toEqual(['办件进度 2', '办件进度 1', '办件进度 0']);
    expect(third.next).toBeNull();
    expect(await rejection(ctx.services.inbox.list(owner, { cursor: 'bm90LWEtY3Vyc29y' }))).toBe('VALIDATION_FAILED');

    // Nobody else sees them, and staff in their own name have no inbox.
    expect((await ctx.services.inbox.list(other)).items.map((m) => m.title.zh)).not.toContain('办件进度 4');
    const officer = await ctx.newStaff('village_reviewer', VILLAGE);
    expect(await rejection(ctx.services.inbox.list(officer))).toBe('FORBIDDEN');
  });

  it('marks the caller’s own message read (once), and answers 404 for another’s or a missing one', async () => {
    const owner = await ctx.newResident();
    const { id } = await notify(notice(owner.accountId, 'case.update:read', { kind: 'case.update' }));
    await notify(notice(owner.accountId, 'case.update:unread', { kind: 'case.update' }));
    expect(await rejection(ctx.services.inbox.markRead(other, id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.inbox.markRead(owner, '00000000-0000-4000-8000-000000000000'))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.inbox.markRead(owner, 'nonsense'))).toBe('NOT_FOUND');

    const read = await ctx.services.inbox.markRead(owner, id);
    expect(read).toMatchObject({ id, unreadCount: 1 });
    const again = await ctx.services.inbox.markRead(owner, id);
    expect(again.readAt).toBe(read.readAt);
    const page = await ctx.services.inbox.list(owner);
    expect(page.unreadCount).toBe(1);
    expect(page.items.find((m) => m.id === id)?.readAt).toBe(read.readAt);
  });

  it('shows a helper the inbox of the resident they act for, with applications.view, and nobody else’s', async () => {
    const owner = await ctx.newResident();
    const { id } = await notify(notice(owner.accountId, 'benefit.offered:helper', { kind: 'benefit.offered' }));
    const helper = await ctx.newStaff('helper', VILLAGE);
    const validUntil = new Date(Date.now() + 30 * 86_400_000);
    const login = { kind: 'staff' as const, username: helper.username, password: PASSWORD, channel: 'web' as const };

    await ctx.services.identity.createDelegation(owner, { helperUsername: helper.username, scopes: ['applications.submit'], validUntil });
    expect(await rejection(ctx.services.inbox.list(await ctx.login(login, owner.accountId)))).toBe('DELEGATION_REQUIRED');

    const another = await ctx.newResident();
    await ctx.services.identity.createDelegation(another, { helperUsername: helper.username, scopes: ['applications.view'], validUntil });
    const acting = await ctx.login(login, another.accountId);
    expect((await ctx.services.inbox.list(acting)).items.map((m) => m.id)).not.toContain(id);
    expect(await rejection(ctx.services.inbox.markRead(acting, id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.inbox.list(helper))).toBe('FORBIDDEN');
  });

  it('texts a notice once: a retried event and a second worker send nothing more; a failure is retried', async () => {
    const owner = await ctx.newResident();
    const { id } = await notify(notice(owner.accountId, 'benefit.granted:sms', { sms: true }));
    expect(await smsStatus(id)).toBe('pending');
    await ctx.services.events.drain();
    const toOwner = () => sender.sent.filter((s) => s.messageId === id);
    expect(toOwner()).toEqual([{ messageId: id, phone: owner.phone, title: '高龄津贴已发放' }]);
    expect(await smsStatus(id)).toBe('sent');

    // The same event delivered again (a worker whose lease expired): the message is sent already.
    const [row] = await smsEvents(id);
    const handler = ctx.services.events.handlers().find((h) => h.name === 'inbox.sms')!;
    const event = { id: Number(row!.id), topic: 'inbox.sms', payload: row!.payload, attempts: 2, createdAt: new Date() };
    await handler.handle(event, { markHandled: async () => undefined });
    expect(toOwner()).toHaveLength(1);

    // The gateway down: recorded as failed and thrown (the worker retries); the next attempt sends it.
    const late = await notify(notice(owner.accountId, 'benefit.granted:sms-late', { sms: true, titleZh: '补发 300 元' }));
    const [lateRow] = await smsEvents(late.id);
    const lateEvent = { id: Number(lateRow!.id), topic: 'inbox.sms', payload: lateRow!.payload, attempts: 1, createdAt: new Date() };
    sender.failNext(1);
    expect(await rejection(handler.handle(lateEvent, { markHandled: async () => undefined }))).toContain('503');
    expect(await smsStatus(late.id)).toBe('failed');
    await handler.handle({ ...lateEvent, attempts: 2 }, { markHandled: async () => undefined });
    await handler.handle({ ...lateEvent, attempts: 3 }, { markHandled: async () => undefined });
    // Once, and the amount stays in the app: the text carries a generic title.
    expect(sender.sent.filter((s) => s.messageId === late.id)).toEqual([
      { messageId: late.id, phone: owner.phone, title: '您有一条新消息' },
    ]);
    expect(await smsStatus(late.id)).toBe('sent');
  });

  it('keeps a notice in the inbox, its SMS skipped, when no sender is configured', async () => {
    const bare = await createTestContext(engine);
    try {
      const owner = await bare.newResident();
      const { id } = await bare.database.db.transaction((tx) =>
        bare.services.inbox.notifyInTx(tx, notice(owner.accountId, 'benefit.granted:bare', { sms: true })),
      );
      const { rows } = await bare.database.db.execute<{ n: number }>(sql`select count(*)::int as n from outbox where topic = 'inbox.sms'`);
      expect(rows[0]!.n).toBe(0);
      const page = await bare.services.inbox.list(owner);
      expect(page.items.map((m) => m.id)).toEqual([id]);
      const status = await bare.database.db.execute<{ sms_status: string }>(sql`select sms_status from inbox_messages where id = ${id}`);
      expect(status.rows[0]!.sms_status).toBe('skipped');
    } finally {
      await bare.close();
    }
  });
});

describe('notice text messages', () => {
  it('the demo sender prints the title with the phone masked, never in full', async () => {
    const lines: string[] = [];
    await demoNoticeSender((line) => lines.push(line)).send({ messageId: 'm', phone: '13912345678', title: '高龄津贴已发放' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('139****5678');
    expect(lines[0]).not.toContain('13912345678');
    expect(lines[0]).toContain('【一办】高龄津贴已发放，请登录一办查看。');
  });

  it('the gateway sender posts the notices’ template with the title, the message id as its Idempotency-Key', async () => {
    const requests: { headers: Headers; body: unknown }[] = [];
    const fakeFetch = (async (_url: URL, init: RequestInit) => {
      requests.push({ headers: new Headers(init.headers), body: JSON.parse(init.body as string) });
      return new Response('{}', { status: 200 });
    }) as unknown as typeof fetch;
    const gateway = createSmsGateway(
      {
        url: 'https://sms.example.cn/send',
        keyId: 'AK',
        secret: 'secret',
        template: 'SMS_CODE',
        signName: '一办',
        timeoutMs: 1000,
        attempts: 1,
      },
      { fetch: fakeFetch },
    );
    const id = '4b3f0d0e-6a55-4a3b-9a59-0d2f1c7e8a11';
    await gatewayNoticeSender(gateway, 'SMS_NOTICE').send({ messageId: id, phone: '13912345678', title: '高龄津贴已发放' });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.get('idempotency-key')).toBe(id);
    expect(requests[0]!.body).toEqual({
      messageId: id,
      phone: '13912345678',
      signName: '一办',
      template: 'SMS_NOTICE',
      params: { title: '高龄津贴已发放' },
    });
  });

  it('a title with digits (an amount, an ID number) or a long one becomes a generic title', () => {
    expect(smsTitle('高龄津贴已发放')).toBe('高龄津贴已发放');
    expect(smsTitle('高龄津贴每月200元')).toBe('您有一条新消息');
    expect(smsTitle('补发 ¥３００')).toBe('您有一条新消息');
    expect(smsTitle('130123195001010017 的办件')).toBe('您有一条新消息');
    expect(smsTitle('很'.repeat(21))).toBe('您有一条新消息');
  });
});
