import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sm2SigningKey, type Sm2SigningKey } from '../src/modules/sharing/http-signature-keys.ts';
import { generateKeyPair } from '../src/verify/signatures.ts';
import { signedPost, testMember } from './federation-fixtures.ts';
import { cli, nodeSpec, start, stop, until, type NodeSpec } from './federation-nodes.ts';
import { pgliteDataDirFromTemplate } from './db-template.ts';
import { openTrustList, type NationalTrustList } from '../src/verify/signed-document.ts';
import { createChainVerifier } from '../src/verify/x509.ts';

/**
 * Issue 16 with real processes: a hub and two province nodes (`yiban serve`, each with its own
 * PGlite data folder and master key) on 127.0.0.1, joined and approved through the CLI; a ping
 * from Hebei to Guangxi sent while Guangxi is down and delivered once after it starts; and, from a
 * test member the hub approved (its key held here), a replay, a wrong key, an unknown member, a
 * clock skew of ten minutes and of one, a body that does not match its digest. Then the national
 * trust list chains Hebei's key certificate to the national root.
 */
const HUB = 'CN/GOV/000000/hub';
const HEBEI = 'CN/GOV/130000/yiban';
const GUANGXI = 'CN/GOV/450000/yiban';
const TESTER = 'CN/GOV/310000/test';
const STRANGER = 'CN/GOV/320000/test';

describe('federated nodes as separate processes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-federation-'));
  let hub: NodeSpec;
  let hebei: NodeSpec;
  let guangxi: NodeSpec;
  const tester = testMember(TESTER);
  const stranger = testMember(STRANGER);
  let pingId: string;

  const message = (to: string, type: string, payload: Record<string, unknown>, from = TESTER, created = new Date()) =>
    JSON.stringify({ id: randomUUID(), from, to, type, payload, created: created.toISOString() });
  const post = async (node: NodeSpec, key: Sm2SigningKey, body: string, now?: Date) => {
    const id = (JSON.parse(body) as { id: string }).id;
    return signedPost(`${node.url}/api/federation/messages`, key, body, { idempotencyKey: id, ...(now ? { now } : {}) });
  };
  const answer = async (response: Response) => ({
    status: response.status,
    body: (await response.json()) as {
      status?: string;
      replayed?: boolean;
      result?: { applied?: number };
      error?: { code: string; params?: { reason?: string } };
    },
  });

  beforeAll(async () => {
    hub = await nodeSpec('hub', 'hub', HUB, undefined, dir);
    hebei = await nodeSpec('hebei', 'province', HEBEI, hub.url, dir);
    guangxi = await nodeSpec('guangxi', 'province', GUANGXI, hub.url, dir);
    // Their databases from the migrated template (test/db-template.ts): no initdb or migrations at each first start.
    for (const n of [hub, hebei, guangxi]) await pgliteDataDirFromTemplate(n.env.YIBAN_DATA_DIR!);
    await start(hub);
    // The provinces ask (their own CLI, their own database); the test member asks over HTTP with its key.
    const joins = await Promise.all([cli(hebei, ['federation', 'join']), cli(guangxi, ['federation', 'join'])]);
    for (const out of joins) expect(out).toContain('pending');
    const body = JSON.stringify(tester.join);
    const request = await signedPost(`${hub.url}/api/federation/members`, tester.signing, body, { idempotencyKey: `join-${TESTER}` });
    expect((await request.send()).status).toBe(202);
    // The hub operator approves with the hub's own CLI (its database is the server's, so the server pauses).
    await stop(hub);
    const approved = await cli(hub, ['federation', 'approve', HEBEI, GUANGXI, TESTER]);
    expect(approved).toContain(TESTER);
    await start(hub);
  }, 600_000);

  afterAll(async () => {
    for (const n of [hub, hebei, guangxi]) if (n) await stop(n);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers a ping from Hebei to Guangxi through the directory, after Guangxi comes up, once', async () => {
    // Written by Hebei's CLI (message row, ledger leaf, outbox event in one transaction) before its server starts.
    pingId = (await cli(hebei, ['federation', 'send-ping', GUANGXI])).trim();
    expect(pingId).toMatch(/^[0-9a-f-]{36}$/);
    await start(hebei);
    const receipt = async (node: NodeSpec, direction: 'in' | 'out') => {
      const res = await fetch(`${node.url}/api/federation/messages/${direction}/${pingId}`);
      return res.ok ? ((await res.json()) as { status: string; attempts: number; lastError: string | null }) : undefined;
    };
    // Guangxi is down: Hebei's outbox tries and backs off.
    const failing = await until('a failed attempt', async () => {
      const r = await receipt(hebei, 'out');
      return r && r.attempts >= 1 ? r : undefined;
    });
    expect(failing).toMatchObject({ status: 'pending' });
    expect(failing.lastError).toBeTruthy();
    await start(guangxi);
    const delivered = await until('delivery', async () => {
      const r = await receipt(hebei, 'out');
      return r?.status === 'delivered' ? r : undefined;
    });
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    expect(await receipt(guangxi, 'in')).toMatchObject({ status: 'applied', from: HEBEI, to: GUANGXI, type: 'ping' });
  }, 300_000);

  it('answers a replay with the first answer and applies it once', async () => {
    const body = message(GUANGXI, 'test.count', {});
    const request = await post(guangxi, tester.signing, body);
    const first = await answer(await request.send());
    expect(first).toMatchObject({ status: 200, body: { status: 'applied' } });
    const count = first.body.result!.applied!;
    const again = await answer(await request.send());
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, result: { applied: count } });
    const next = await answer(await (await post(guangxi, tester.signing, message(GUANGXI, 'test.count', {}))).send());
    expect(next.body.result?.applied).toBe(count + 1);
  }, 60_000);

  it('refuses a wrong key, an unknown member, a body that is not the one signed, and a clock ten minutes off', async () => {
    const wrong = sm2SigningKey(tester.signing.keyId, generateKeyPair('SM2').privateKey);
    const forged = await answer(await (await post(guangxi, wrong, message(GUANGXI, 'ping', {}))).send());
    expect(forged).toMatchObject({
      status: 401,
      body: { error: { code: 'FEDERATION_SIGNATURE_INVALID', params: { reason: 'SIGNATURE_INVALID' } } },
    });

    const unknown = await answer(await (await post(guangxi, stranger.signing, message(GUANGXI, 'ping', {}, STRANGER))).send());
    expect(unknown).toMatchObject({ status: 403, body: { error: { code: 'FEDERATION_UNKNOWN_MEMBER' } } });

    const body = message(GUANGXI, 'test.count', {});
    const altered = await answer(await (await post(guangxi, tester.signing, body)).send(body.replace('{}', '{"x":1}')));
    expect(altered).toMatchObject({
      status: 401,
      body: { error: { code: 'FEDERATION_SIGNATURE_INVALID', params: { reason: 'DIGEST_MISMATCH' } } },
    });

    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    for (const [skew, reason] of [
      [-10, 'SIGNATURE_EXPIRED'],
      [10, 'SIGNATURE_FROM_FUTURE'],
    ] as const) {
      const late = await answer(await (await post(guangxi, tester.signing, message(GUANGXI, 'ping', {}), minutes(skew))).send());
      expect(late).toMatchObject({ status: 401, body: { error: { code: 'FEDERATION_SIGNATURE_INVALID', params: { reason } } } });
    }
    for (const skew of [-1, 1]) {
      const fine = await answer(await (await post(guangxi, tester.signing, message(GUANGXI, 'ping', {}), minutes(skew))).send());
      expect(fine).toMatchObject({ status: 200, body: { status: 'applied' } });
    }
  }, 60_000);

  it("chains Hebei's certificates to the national root through the hub's signed trust list, and Guangxi holds the same list", async () => {
    const envelope: unknown = await (await fetch(`${hub.url}/api/federation/trust-list`)).json();
    const opened = openTrustList(envelope);
    expect(opened.ok).toBe(true);
    const list = (opened as { document: NationalTrustList }).document;
    expect(list.provinces.map((p) => p.memberId).sort()).toEqual([HEBEI, TESTER, GUANGXI].sort());
    const node = (await (await fetch(`${hebei.url}/api/federation/node`)).json()) as { certificatePem: string };
    const national = createChainVerifier({ anchors: list.roots, intermediates: list.intermediates });
    expect(national.verify(node.certificatePem, { at: new Date(), keyUsage: ['digitalSignature'] })).toMatchObject({ ok: true });
    const rootsOnly = createChainVerifier({ anchors: list.roots });
    expect(rootsOnly.verify(node.certificatePem, { at: new Date() })).toMatchObject({ ok: false });
    // Guangxi fetched and verified the same list when it refreshed its directory.
    const copy: unknown = await (await fetch(`${guangxi.url}/api/federation/trust-list`)).json();
    expect(openTrustList(copy)).toMatchObject({ ok: true, document: { intermediates: list.intermediates } });
  }, 60_000);
});
