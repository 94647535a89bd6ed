import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { App } from '../../http/server.ts';
import { buildTestApp, createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { signedPost, testMember } from '../../../test/federation-fixtures.ts';
import { openTrustList, type NationalTrustList } from '../../verify/signed-document.ts';
import { statusEvidenceFromCredentials } from '../../verify/status-credential.ts';
import { verifyCertificate, type TrustAnchors } from '../../verify/verify-certificate.ts';
import { loadFederationConfig } from '../../core/config.ts';
import type { FederationConfig } from '../../core/config.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const BIN = new URL('../../../bin/yiban.js', import.meta.url).pathname;

/** `yiban verify` as a user runs it, without YIBAN_PUBLIC_URL. */
function yibanVerify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { YIBAN_PUBLIC_URL: _ignored, ...env } = process.env;
  return new Promise((resolve) => {
    execFile('node', [BIN, 'verify', ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Node {
  ctx: TestContext;
  app: App;
  url: string;
}

async function startNode(engine: Parameters<typeof createTestContext>[0], federation: (url: string) => FederationConfig): Promise<Node> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ctx = await createTestContext(engine, { publicUrl: url, federation: federation(url), federationTimeoutMs: 2000 });
  const app = await buildTestApp(ctx);
  await app.listen({ host: '127.0.0.1', port });
  return { ctx, app, url };
}

const HEBEI = 'CN/GOV/130000/yiban';
const GUANGXI = 'CN/GOV/450000/yiban';
const HUB = 'CN/GOV/000000/hub';

describe('member identifiers and the node role', () => {
  it('defaults to standalone and checks the member id', () => {
    expect(loadFederationConfig({})).toEqual({ role: 'standalone' });
    expect(loadFederationConfig({ YIBAN_NODE_ROLE: 'hub', YIBAN_MEMBER_ID: HUB })).toMatchObject({ role: 'hub', memberId: HUB });
    expect(() => loadFederationConfig({ YIBAN_NODE_ROLE: 'province', YIBAN_MEMBER_ID: HEBEI })).toThrow(/YIBAN_HUB_URL/);
    for (const bad of ['CN/GOV/13000/yiban', 'CN/COM/130000/yiban', 'CN/GOV/130000/', 'CN/GOV/130000/Yiban', 'cn/gov/130000/yiban'])
      expect(() => loadFederationConfig({ YIBAN_NODE_ROLE: 'province', YIBAN_MEMBER_ID: bad, YIBAN_HUB_URL: 'http://x' })).toThrow(
        /YIBAN_MEMBER_ID/,
      );
    expect(() => loadFederationConfig({ YIBAN_NODE_ROLE: 'hub', YIBAN_MEMBER_ID: HEBEI })).toThrow(/000000/);
    expect(() => loadFederationConfig({ YIBAN_NODE_ROLE: 'province', YIBAN_MEMBER_ID: HUB, YIBAN_HUB_URL: 'http://x' })).toThrow(/000000/);
    expect(() => loadFederationConfig({ YIBAN_NODE_ROLE: 'federal' })).toThrow(/YIBAN_NODE_ROLE/);
  });
});

describe.each(testEngines())('federation: a hub and two provinces in one process (%s)', (engine) => {
  let hub: Node;
  let hebei: Node;
  let guangxi: Node;

  beforeAll(async () => {
    hub = await startNode(engine, () => ({ role: 'hub', memberId: HUB, name: '国家政务服务平台' }));
    hebei = await startNode(engine, () => ({ role: 'province', memberId: HEBEI, name: '河北政务服务网', hubUrl: hub.url }));
    guangxi = await startNode(engine, () => ({ role: 'province', memberId: GUANGXI, name: '广西数字政务一体化平台', hubUrl: hub.url }));
  }, 120_000);

  afterAll(async () => {
    // The app does not close its context's database (a PostgreSQL test database is dropped by that).
    for (const n of [hub, hebei, guangxi]) {
      await n?.app.close();
      await n?.ctx.close();
    }
  });

  it('refuses everything on a standalone node', async () => {
    const solo = await createTestContext(engine);
    try {
      await expect(solo.services.federation.node()).rejects.toMatchObject({ code: 'FEDERATION_DISABLED' });
      expect(solo.services.events.handlers().some((h) => h.name === 'federation.deliver')).toBe(false);
    } finally {
      await solo.close();
    }
  });

  it('joins on request, publishes only approved members, and delivers a message once through the outbox', async () => {
    const joined = await hebei.ctx.services.federation.join();
    expect(joined).toMatchObject({ memberId: HEBEI, status: 'pending' });
    await guangxi.ctx.services.federation.join();
    // Asking is not being trusted: the directory holds only the hub until the operator approves.
    await guangxi.ctx.services.federation.directory.refresh();
    expect(await guangxi.ctx.services.federation.lookup.find(HEBEI)).toBeNull();
    await expect(hebei.ctx.services.federation.sendNow(GUANGXI, 'ping', {})).rejects.toMatchObject({ code: 'FEDERATION_UNKNOWN_MEMBER' });

    await hub.ctx.services.federation.directory.approve(HEBEI);
    await hub.ctx.services.federation.directory.approve(GUANGXI);
    await hebei.ctx.services.federation.directory.refresh();
    expect((await hebei.ctx.services.federation.lookup.find(GUANGXI))?.endpoint).toBe(guangxi.url);

    // Someone else asking in Hebei's name, with their own key, changes nothing; Hebei asking again unchanged stays approved.
    const impostor = testMember(HEBEI, 'http://127.0.0.1:9');
    const asked = await signedPost(`${hub.url}/api/federation/members`, impostor.signing, JSON.stringify(impostor.join), {
      idempotencyKey: 'join-impostor',
    });
    const refused = await asked.send();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'FEDERATION_SIGNATURE_INVALID' } });
    expect(await hebei.ctx.services.federation.join()).toMatchObject({ status: 'approved' });
    expect((await hub.ctx.services.federation.lookup.find(HEBEI))?.endpoint).toBe(hebei.url);

    const { id } = await hebei.ctx.services.federation.sendNow(GUANGXI, 'test.count', { n: 1 });
    expect(await hebei.ctx.services.federation.receipt('out', id)).toMatchObject({ status: 'pending', attempts: 0 });
    // Guangxi's copy of the directory may predate Hebei's approval: it is refused for now, Guangxi refreshes, the retry goes through.
    await until('delivery', async () => {
      await hebei.ctx.services.events.drain();
      return (await hebei.ctx.services.federation.receipt('out', id))?.status === 'delivered';
    });
    expect(await hebei.ctx.services.federation.receipt('out', id)).toMatchObject({ status: 'delivered', lastError: null });
    const received = await guangxi.ctx.services.federation.receipt('in', id);
    expect(received).toMatchObject({ status: 'applied', from: HEBEI, to: GUANGXI, type: 'test.count' });

    // Delivered again (a worker that died before it marked the event): answered from the first answer, applied once.
    await hebei.ctx.database.db.execute(sql`update federation_messages set status = 'pending' where id = ${id}::uuid`);
    await hebei.ctx.database.db.execute(
      sql`update outbox set processed_at = null, available_at = now() - interval '1 second' where topic = 'federation.message'`,
    );
    await hebei.ctx.database.db.execute(sql`delete from event_handled where handler = 'federation.deliver'`);
    await hebei.ctx.services.events.drain();
    const { rows } = await hebei.ctx.database.db.execute<{ response: Record<string, unknown> }>(
      sql`select response from federation_messages where id = ${id}::uuid and direction = 'out'`,
    );
    expect(rows[0]!.response).toMatchObject({ replayed: true, result: { applied: 1 } });
    const { rows: applied } = await guangxi.ctx.database.db.execute<{ n: number | string }>(
      sql`select count(*) as n from federation_messages where direction = 'in'`,
    );
    expect(Number(applied[0]!.n)).toBe(1);

    // Both ledgers hold a leaf of the message, with digests only.
    for (const [node, kind] of [
      [hebei, 'federation.sent'],
      [guangxi, 'federation.received'],
    ] as const) {
      const { rows: leaves } = await node.ctx.database.db.execute<{ data: string }>(
        sql`select convert_from(data, 'UTF8') as data from ledger_queue where kind = ${kind}
            union all select convert_from(data, 'UTF8') from ledger_entries where kind = ${kind}`,
      );
      expect(leaves).toHaveLength(1);
      expect(JSON.parse(leaves[0]!.data)).toMatchObject({ kind, id, from: HEBEI, to: GUANGXI, type: 'test.count' });
      expect(leaves[0]!.data).not.toContain('"n"');
    }
  });

  it('lets a peer that never answers hold back nothing but its own messages', async () => {
    // A member whose system accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createHttpServer(() => undefined);
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const member = testMember('CN/GOV/530000/slow', silentUrl);
      const body = JSON.stringify(member.join);
      const request = await signedPost(`${hub.url}/api/federation/members`, member.signing, body, { idempotencyKey: 'join-slow' });
      expect((await request.send()).status).toBe(202);
      await hub.ctx.services.federation.directory.approve(member.join.memberId);
      await hebei.ctx.services.federation.directory.refresh();

      const slow = await hebei.ctx.services.federation.sendNow(member.join.memberId, 'ping', {});
      const fast = await hebei.ctx.services.federation.sendNow(GUANGXI, 'ping', {});
      await until('the fast delivery', async () => {
        await hebei.ctx.services.events.runOnce();
        return (await hebei.ctx.services.federation.receipt('out', fast.id))?.status === 'delivered';
      });
      // Refusals that no retry would change: a type Guangxi does not handle, a message for another node.
      await guangxi.ctx.services.federation.directory.refresh();
      for (const [to, type, code] of [
        [GUANGXI, 'no.such', 'FEDERATION_UNKNOWN_TYPE'],
        [HEBEI, 'ping', 'FEDERATION_BAD_MESSAGE'],
      ] as const) {
        const text = JSON.stringify({
          id: randomUUID(),
          from: member.join.memberId,
          to,
          type,
          payload: {},
          created: new Date().toISOString(),
        });
        const id = (JSON.parse(text) as { id: string }).id;
        const sent = await signedPost(`${guangxi.url}/api/federation/messages`, member.signing, text, { idempotencyKey: id });
        const refused = await sent.send();
        expect(refused.status).toBe(400);
        expect(await refused.json()).toMatchObject({ error: { code } });
      }
      const waiting = await hebei.ctx.services.federation.receipt('out', slow.id);
      expect(waiting).toMatchObject({ status: 'pending' });
      expect(waiting?.lastError).toMatch(/no answer within 2000 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('publishes the services and datasets a member sends when it joins again, approved or pending', async () => {
    const member = testMember('CN/GOV/620000/offers', 'http://127.0.0.1:9');
    const join = (n: number, changes: Record<string, unknown> = {}) =>
      signedPost(`${hub.url}/api/federation/members`, member.signing, JSON.stringify({ ...member.join, ...changes }), {
        idempotencyKey: `join-offers-${n}`,
      }).then((r) => r.send());
    const directoryEntry = async () => {
      await guangxi.ctx.services.federation.directory.refresh();
      return guangxi.ctx.services.federation.lookup.find(member.join.memberId);
    };
    expect((await join(1, { services: ['cert.residence'] })).status).toBe(202);
    // Pending, it asks again with other offers: the request on file has them.
    expect((await join(2, { services: ['cert.residence', 'cert.birth'], datasets: ['licence.residence'] })).status).toBe(202);
    await hub.ctx.services.federation.directory.approve(member.join.memberId);
    expect(await directoryEntry()).toMatchObject({ services: ['cert.residence', 'cert.birth'], datasets: ['licence.residence'] });

    // Approved, it changes only what it offers: still approved, and every node's directory lists the new offers.
    const answer = await join(3, { services: ['cert.birth'], datasets: ['licence.residence', 'licence.birth'] });
    expect(await answer.json()).toMatchObject({ status: 'approved' });
    expect(await directoryEntry()).toMatchObject({ services: ['cert.birth'], datasets: ['licence.residence', 'licence.birth'] });
    const [row] = await hub.ctx.services.federation.members
      .list('operator', 'approved')
      .then((all) => all.filter((m) => m.memberId === member.join.memberId));
    expect(row?.status).toBe('approved');

    // Unchanged again: nothing moves (the directory's version stays).
    const version = async () => (await hub.ctx.services.federation.directory.signedDirectory()).document.version;
    const before = await version();
    expect(await (await join(4, { services: ['cert.birth'], datasets: ['licence.residence', 'licence.birth'] })).json()).toMatchObject({
      status: 'approved',
    });
    expect(await version()).toBe(before);
  });

  it('verifies a Hebei certificate in Guangxi with the national trust list, and not without it', async () => {
    const resident = await hebei.ctx.newResident({ name: '李娜' });
    const reviewer = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await hebei.ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await hebei.ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await hebei.ctx.services.certificates.getByCase(resident, c.id);
    const bundle = await hebei.ctx.services.certificates.bundle(resident, cert.id, ['holderName']);
    const lists = await Promise.all(
      (['revocation', 'suspension'] as const).map((p) => hebei.ctx.services.certificates.statusListCredential('1', p)),
    );

    await guangxi.ctx.services.federation.directory.refresh();
    const envelope = await guangxi.ctx.services.federation.directory.trustList();
    const opened = openTrustList(envelope);
    expect(opened.ok).toBe(true);
    const trust = (opened as { document: NationalTrustList }).document;
    expect(trust.provinces.map((p) => p.memberId)).toEqual(expect.arrayContaining([HEBEI, GUANGXI]));
    const status = await statusEvidenceFromCredentials(bundle.payload, lists, trust, new Date());
    expect(verifyCertificate(bundle, trust, { status }).verdict).toBe('VALID');

    // Guangxi's own root does not know Hebei's; the national root alone, without the cross-certificates, neither.
    const own = await guangxi.ctx.services.certificates.ownTrustAnchors();
    expect(verifyCertificate(bundle, own, { status }).checks.find((x) => x.check === 'issuer')).toMatchObject({ result: 'fail' });
    const bare = { ...trust, intermediates: [] };
    expect(verifyCertificate(bundle, bare, { status }).checks.find((x) => x.check === 'issuer')).toMatchObject({ result: 'fail' });

    // Guangxi's own verifier (POST /api/verify) and the anchors it publishes (GET /api/trust) take in the national list:
    // the seal is Hebei's, under the national root; the status is Hebei's to tell (INDETERMINATE without its lists).
    const answer = await guangxi.app.inject({ method: 'POST', url: '/api/verify', payload: { bundle } });
    expect(answer.json<{ checks: { check: string; result: string }[] }>().checks.find((x) => x.check === 'issuer')).toMatchObject({
      result: 'pass',
    });
    const published = (await guangxi.app.inject('/api/trust')).json<TrustAnchors>();
    expect(verifyCertificate(bundle, published, { status }).verdict).toBe('VALID');

    // A trust list altered after signing is refused.
    const forged = structuredClone(envelope!);
    forged.document.intermediates = [];
    expect(openTrustList(forged)).toMatchObject({ ok: false });

    // Offline, with the CLI: the list's signature first, then the certificate under it.
    if (engine !== 'pglite') return;
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-trust-list-'));
    const file = (name: string, value: unknown) => {
      writeFileSync(path.join(dir, name), JSON.stringify(value));
      return path.join(dir, name);
    };
    const args = [file('bundle.json', bundle), '--status', file('r.json', lists[0]), '--status', file('s.json', lists[1]), '--offline'];
    const valid = await yibanVerify([...args, '--trust-list', file('national.json', envelope)]);
    expect(valid.stdout).toContain('VALID');
    expect(valid.code).toBe(0);
    const refused = await yibanVerify([...args, '--trust-list', file('forged.json', forged)]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('national trust list failed verification');
    const pinnedElsewhere = await yibanVerify([
      ...args,
      '--trust-list',
      path.join(dir, 'national.json'),
      '--national-root',
      '00'.repeat(32),
    ]);
    expect(pinnedElsewhere.code).toBe(3);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
