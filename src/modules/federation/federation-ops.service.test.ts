import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { buildTestApp, PASSWORD, TEST_RATE_LIMITS, VILLAGE } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import {
  GUANGXI,
  HEBEI,
  signedPost,
  startFederation,
  testMember,
  type FederationNode as Node,
  type TestFederation,
} from '../../../test/federation-fixtures.ts';

/**
 * Operating a federation (issue 16): a long outage, the operator's approvals in the console, the
 * join rate limit, revoking a member and a member's key change — a hub and two provinces in one
 * process, on one injected clock (hours pass without waiting).
 */

const HOUR = 3_600_000;

describe.each(testEngines())('operating a federation (%s)', (engine) => {
  let now = new Date();
  const clock = () => now;
  const later = (ms: number) => (now = new Date(now.getTime() + ms));
  let hub: Node;
  let hebei: Node;
  let guangxi: Node;
  let guangxiRelay: NonNullable<TestFederation['guangxiRelay']>;
  let federation: TestFederation;

  const bearer = async (node: Node, role: 'platform_admin' | 'village_reviewer') => {
    const staff = await node.ctx.newStaff(role, role === 'platform_admin' ? '13' : VILLAGE);
    const res = await node.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'staff', username: staff.username, password: PASSWORD, channel: 'web' },
    });
    return { authorization: `Bearer ${res.json<{ token: string }>().token}` };
  };

  beforeAll(async () => {
    // Joined, not approved: the first test approves them through the console's route.
    federation = await startFederation(engine, { all: { clock }, relayGuangxi: true, approve: false });
    ({ hub, hebei, guangxi } = federation);
    guangxiRelay = federation.guangxiRelay!;
  }, 180_000);

  afterAll(() => federation?.close());

  it('lists pending requests to the platform administrator with endpoint, key fingerprint and root subject; approves through the route', async () => {
    const admin = await bearer(hub, 'platform_admin');
    const other = await bearer(hub, 'village_reviewer');
    const refused = await hub.app.inject({ url: '/api/federation/members?state=pending', headers: other });
    expect(refused.statusCode).toBe(403);
    const pending = await hub.app.inject({ url: '/api/federation/members?state=pending', headers: admin });
    expect(pending.statusCode).toBe(200);
    const items = pending.json<{ items: { memberId: string; endpoint: string; rootSubject: string; keys: { fingerprint: string }[] }[] }>()
      .items;
    expect(items.map((i) => i.memberId).sort()).toEqual([HEBEI, GUANGXI]);
    const g = items.find((i) => i.memberId === GUANGXI)!;
    expect(g.endpoint).toBe(guangxiRelay.url);
    expect(g.keys[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(g.rootSubject).not.toBe('');
    // Nothing secret: no private key material, no certificate bodies.
    expect(pending.body).not.toContain('PRIVATE');
    expect(pending.body).not.toContain('BEGIN CERTIFICATE');

    for (const member of [HEBEI, GUANGXI]) {
      const path = `/api/federation/members/${encodeURIComponent(member)}/approve`;
      expect((await hub.app.inject({ method: 'POST', url: path, headers: other })).statusCode).toBe(403);
      const approved = await hub.app.inject({ method: 'POST', url: path, headers: admin });
      expect(approved.statusCode).toBe(200);
      expect(approved.json()).toMatchObject({ memberId: member, status: 'approved' });
    }
    // Approving again: nothing is pending.
    const again = await hub.app.inject({
      method: 'POST',
      url: `/api/federation/members/${encodeURIComponent(HEBEI)}/approve`,
      headers: admin,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'FEDERATION_NOTHING_PENDING' } });
    expect((await hub.app.inject({ url: '/api/federation/members?state=pending', headers: admin })).json()).toEqual({ items: [] });
    // Each decision is a ledger leaf at the hub.
    const { rows } = await hub.ctx.database.db.execute<{ n: string | number }>(
      sql`select count(*) as n from (select kind from ledger_queue where kind = 'federation.member'
          union all select kind from ledger_entries where kind = 'federation.member') x`,
    );
    expect(Number(rows[0]!.n)).toBe(2);
    await hebei.ctx.services.federation.directory.refresh();
    await guangxi.ctx.services.federation.directory.refresh();
    expect((await hebei.ctx.services.federation.lookup.find(GUANGXI))?.endpoint).toBe(guangxiRelay.url);
  });

  it('rejects a request with the operator’s reason, keeps it as rejected (never published), and takes the member’s next request', async () => {
    const admin = await bearer(hub, 'platform_admin');
    const member = testMember('CN/GOV/640000/rejected', 'http://127.0.0.1:9');
    const ask = async (who: ReturnType<typeof testMember>, key: string) =>
      (
        await signedPost(`${hub.url}/api/federation/members`, who.signing, JSON.stringify(who.join), { idempotencyKey: key, now: clock() })
      ).send();
    expect((await ask(member, 'join-rejected-1')).status).toBe(202);
    const path = `/api/federation/members/${encodeURIComponent(member.join.memberId)}/reject`;
    const tooLong = await hub.app.inject({ method: 'POST', url: path, headers: admin, payload: { reason: 'x'.repeat(501) } });
    expect(tooLong.statusCode).toBe(400);
    const rejected = await hub.app.inject({ method: 'POST', url: path, headers: admin, payload: { reason: '  密钥指纹与线下核对不符  ' } });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejectionReason: '密钥指纹与线下核对不符' });
    const listed = await hub.app.inject({ url: '/api/federation/members?state=rejected', headers: admin });
    expect(listed.json<{ items: { memberId: string }[] }>().items.map((i) => i.memberId)).toEqual([member.join.memberId]);
    expect((await hub.app.inject({ method: 'POST', url: path, headers: admin, payload: {} })).json()).toMatchObject({
      error: { code: 'FEDERATION_NOTHING_PENDING' },
    });
    expect((await hub.ctx.services.federation.directory.signedDirectory()).document.members.map((m) => m.memberId)).not.toContain(
      member.join.memberId,
    );
    // It asks again (with a new key: a rejected request binds nobody): pending, the old reason gone.
    const again = testMember(member.join.memberId, 'http://127.0.0.1:9');
    expect((await ask(again, 'join-rejected-2')).status).toBe(202);
    const [row] = (await hub.ctx.services.federation.members.list('operator', 'pending')).filter(
      (m) => m.memberId === member.join.memberId,
    );
    expect(row).toMatchObject({ status: 'pending', rejectionReason: null, rejectedAt: null });
    await hub.ctx.services.federation.members.reject('operator', member.join.memberId);
  });

  it('delivers a message once to a peer that was down for hours, far past the outbox’s default attempts', async () => {
    guangxiRelay.setDown(true);
    const { id } = await hebei.ctx.services.federation.sendNow(GUANGXI, 'test.count', { n: 1 });
    // Two hours in ten-minute steps: every due attempt fails; the default policy (8 attempts, ~4 minutes) would have given up.
    for (let step = 0; step < 12; step++) {
      await hebei.ctx.services.events.runOnce();
      later(10 * 60_000);
    }
    const { rows } = await hebei.ctx.database.db.execute<{ attempts: number; dead_at: unknown; available_at: string | Date }>(
      sql`select attempts, dead_at, available_at from outbox where topic = 'federation.message' and payload->>'messageId' = ${id}`,
    );
    expect(rows[0]!.dead_at).toBeNull();
    expect(rows[0]!.attempts).toBeGreaterThan(8);
    // At most five minutes between attempts.
    expect(new Date(rows[0]!.available_at).getTime() - now.getTime()).toBeLessThanOrEqual(5 * 60_000);
    expect(await hebei.ctx.services.federation.receipt('out', id)).toMatchObject({ status: 'pending' });

    guangxiRelay.setDown(false);
    later(5 * 60_000);
    await hebei.ctx.services.events.drain();
    expect(await hebei.ctx.services.federation.receipt('out', id)).toMatchObject({ status: 'delivered' });
    // Drained again and later: nothing is sent twice, Guangxi applied it once.
    later(HOUR);
    await hebei.ctx.services.events.drain();
    const { rows: applied } = await guangxi.ctx.database.db.execute<{ n: string | number }>(
      sql`select count(*) as n from federation_messages where direction = 'in' and type = 'test.count' and status = 'applied'`,
    );
    expect(Number(applied[0]!.n)).toBe(1);
  });

  it('limits join requests per member id and per source address with 429 FEDERATION_JOIN_RATE_LIMITED', async () => {
    const limited = await buildTestApp(hub.ctx, {
      rateLimits: {
        ...TEST_RATE_LIMITS,
        federationJoin: { perAddress: { max: 5, windowMs: 60_000 }, perAccount: { max: 3, windowMs: 60_000 } },
      },
    });
    try {
      const ask = (memberId: string) =>
        limited.inject({
          method: 'POST',
          url: '/api/federation/members',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ memberId, name: 'x' }),
        });
      // Unsigned: refused on their merits (400) until the limit; the fourth for one member id is refused before reading it.
      for (let i = 0; i < 3; i++) expect((await ask('CN/GOV/610000/flood')).statusCode).toBe(400);
      const over = await ask('CN/GOV/610000/flood');
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ error: { code: 'FEDERATION_JOIN_RATE_LIMITED' } });
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      // Another member id from the same address still gets through, until the address's limit.
      expect((await ask('CN/GOV/620000/other')).statusCode).toBe(400);
      const address = await ask('CN/GOV/630000/third');
      expect(address.statusCode).toBe(429);
      expect(address.json()).toMatchObject({ error: { code: 'FEDERATION_JOIN_RATE_LIMITED' } });
    } finally {
      await limited.close();
    }
  });

  it('revokes a member: it leaves the directory and the trust list, and every node refuses its messages after a refresh', async () => {
    const yunnan = testMember('CN/GOV/530000/yiban', 'http://127.0.0.1:9');
    const join = await signedPost(`${hub.url}/api/federation/members`, yunnan.signing, JSON.stringify(yunnan.join), {
      idempotencyKey: 'join-yunnan',
      now: clock(),
    });
    expect((await join.send()).status).toBe(202);
    await hub.ctx.services.federation.members.approve('operator', yunnan.join.memberId);
    await hebei.ctx.services.federation.directory.refresh();
    const message = () => {
      const body = JSON.stringify({
        id: randomUUID(),
        from: yunnan.join.memberId,
        to: HEBEI,
        type: 'ping',
        payload: {},
        created: clock().toISOString(),
      });
      const id = (JSON.parse(body) as { id: string }).id;
      return signedPost(`${hebei.url}/api/federation/messages`, yunnan.signing, body, { idempotencyKey: id, now: clock() });
    };
    expect((await (await message()).send()).status).toBe(200);

    const admin = await bearer(hub, 'platform_admin');
    const revoked = await hub.app.inject({
      method: 'POST',
      url: `/api/federation/members/${encodeURIComponent(yunnan.join.memberId)}/revoke`,
      headers: admin,
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ status: 'revoked' });
    const directory = (await hub.ctx.services.federation.directory.signedDirectory()).document;
    expect(directory.members.map((m) => m.memberId)).not.toContain(yunnan.join.memberId);
    const trust = (await hub.ctx.services.federation.directory.trustList())!.document;
    expect(trust.provinces.map((p) => p.memberId)).not.toContain(yunnan.join.memberId);

    // Hebei's next refresh takes the newer directory; the member's messages are refused there and at the hub.
    await hebei.ctx.services.federation.directory.refresh();
    const refused = await (await message()).send();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'FEDERATION_UNKNOWN_MEMBER' } });
    // It may not ask again.
    const rejoin = await signedPost(`${hub.url}/api/federation/members`, yunnan.signing, JSON.stringify(yunnan.join), {
      idempotencyKey: 'join-yunnan-2',
      now: clock(),
    });
    const answer = await rejoin.send();
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: { code: 'FEDERATION_MEMBER_REVOKED' } });
  });

  it('rolls a member’s key: a request signed by the old key, the old key signing until approval, both listed with an overlap after', async () => {
    const before = (await hebei.ctx.services.federation.node()).key;
    const rotated = await hebei.ctx.services.federation.rotateKey();
    expect(rotated).toMatchObject({ memberId: HEBEI, oldKeyId: before.keyId, status: 'key-change-pending' });
    expect(rotated.newKeyId).not.toBe(before.keyId);
    // Asking again sends the same new key (no third one).
    expect((await hebei.ctx.services.federation.rotateKey()).newKeyId).toBe(rotated.newKeyId);
    // Pending: Hebei stays published with its old key, and signs with it.
    const pending = await hub.ctx.services.federation.members.list('operator', 'pending');
    expect(pending.map((m) => [m.memberId, m.keyChange?.keyId])).toEqual([[HEBEI, rotated.newKeyId]]);
    expect(pending[0]!.keyChange!.signedBy).toBe(before.keyId);
    await hebei.ctx.services.federation.directory.refresh();
    expect((await hebei.ctx.services.federation.node()).key.keyId).toBe(before.keyId);

    const admin = await bearer(hub, 'platform_admin');
    const approved = await hub.app.inject({
      method: 'POST',
      url: `/api/federation/members/${encodeURIComponent(HEBEI)}/approve`,
      headers: admin,
    });
    expect(approved.statusCode).toBe(200);
    await hebei.ctx.services.federation.directory.refresh();
    await guangxi.ctx.services.federation.directory.refresh();
    const listed = (await guangxi.ctx.services.federation.lookup.find(HEBEI))!.keys;
    expect(listed.map((k) => k.keyId)).toEqual([before.keyId, rotated.newKeyId]);
    // The old key stays valid for the overlap (a day), no longer.
    expect(Date.parse(listed[0]!.notAfter) - now.getTime()).toBeLessThanOrEqual(24 * HOUR + 60_000);
    expect(Date.parse(listed[0]!.notAfter)).toBeGreaterThan(now.getTime());
    expect((await hebei.ctx.services.federation.node()).key.keyId).toBe(rotated.newKeyId);

    // A message signed with the new key is delivered and verified at Guangxi.
    const { id } = await hebei.ctx.services.federation.sendNow(GUANGXI, 'ping', {});
    await hebei.ctx.services.events.drain();
    expect(await hebei.ctx.services.federation.receipt('out', id)).toMatchObject({ status: 'delivered' });

    // A key change signed by a key the hub does not have on file is refused.
    const stranger = testMember(HEBEI);
    const forged = await signedPost(
      `${hub.url}/api/federation/members/key-change`,
      stranger.signing,
      JSON.stringify({ memberId: HEBEI, key: stranger.join.keys[0] }),
      { idempotencyKey: 'key-forged', now: clock() },
    );
    const refused = await forged.send();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'FEDERATION_SIGNATURE_INVALID' } });
  });
});
