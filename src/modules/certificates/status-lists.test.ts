import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http/server.ts';
import { buildTestApp, createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { canonicalJson, fieldDigest, issuanceLeaf, parsePayload, type SignedPayload } from '../../verify/document.ts';
import { decodeStatusList, isBitSet } from '../../verify/status-list.ts';
import { canonicalPayload, fieldDigestFast, issuanceLeafFast } from './digests.ts';
import { createStatusLists } from './status-lists.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe('the issuance path digests agree with src/verify', () => {
  const strings = ['', 'a', '王芳', '"quoted"\\', 'line\nbreak\u0001', '😀 emoji', '\u2028\u2029', '\ud800 lone', 'x'.repeat(300)];
  it('field digests, leaves and canonical payloads are the same bytes', () => {
    for (const a of strings) {
      for (const b of strings.slice(0, 4)) {
        const d = { name: b, value: a, salt: randomBytes(16).toString('hex') };
        expect(fieldDigestFast(d)).toBe(fieldDigest(d));
        const payload: SignedPayload = {
          v: 1,
          id: `1.2.156.3005.2.${a}`,
          type: b || 'residence',
          typeName: { zh: a, en: b },
          issuer: { code: b, name: a, creditCode: '54130123C231002428' },
          holder: { name: a, residentIdMasked: b },
          issuedAt: new Date(1_700_000_000_000 + a.length).toISOString(),
          validUntil: a.length % 2 ? null : new Date(1_800_000_000_000).toISOString(),
          status: { list: `https://yiban.example.cn/api/status-lists/${a.length + 1}`, index: a.length * 4099 },
          keyId: `seal-${b}`,
          alg: a.length % 3 ? 'SM2' : 'Ed25519',
          fields: [fieldDigest(d), fieldDigest({ ...d, value: b })].sort(),
        };
        const text = canonicalPayload(payload);
        expect(text).toBe(canonicalJson(payload));
        expect(issuanceLeafFast(payload, text)).toBe(issuanceLeaf(payload, text));
      }
    }
  });
});

describe('status list options', () => {
  it('refuses sizes that are not multiples of 8 and fills outside (0, 1]', () => {
    expect(() => createStatusLists('https://x', { size: 12 })).toThrow(RangeError);
    expect(() => createStatusLists('https://x', { rollover: 0 })).toThrow(RangeError);
    expect(() => createStatusLists('https://x', { rollover: 1.5 })).toThrow(RangeError);
    const lists = createStatusLists('https://x');
    expect(lists.listOf('https://x/api/status-lists/7')).toBe('7');
    expect(lists.listOf('https://x/api/status-lists/07')).toBeNull();
    expect(lists.listOf('https://elsewhere/api/status-lists/7')).toBeNull();
  });
});

describe.each(testEngines())('status lists on %s', (engine) => {
  // Lists of 64 entries that take new certificates up to a quarter full (16).
  let ctx: TestContext;
  let app: App;
  beforeAll(async () => {
    ctx = await createTestContext(engine, { statusLists: { size: 64, rollover: 0.25 } });
    app = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function submitted(count: number) {
    const ids: string[] = [];
    const residents = [];
    for (let i = 0; i < count; i++) {
      const resident = await ctx.newResident();
      residents.push(resident);
      ids.push((await ctx.services.applications.submit(resident, residence)).case.id);
    }
    return { ids, residents };
  }

  async function slots() {
    const { rows } = await ctx.database.db.execute<{ list: string; index: number; certs: number }>(
      sql`select status_list as list, status_index as index, count(*)::int as certs from certificates group by 1, 2`,
    );
    return rows;
  }

  async function used() {
    const { rows } = await ctx.database.db.execute<{ id: number; used: number; size: number; actual: number }>(sql`
      select l.id, l.used, l.size, (select count(*) from certificates c where c.status_list = l.id::text)::int as actual
      from status_lists l order by l.id`);
    return rows;
  }

  it('moves to the next list once the newest passes the fill threshold', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const first = await submitted(10);
    await ctx.services.applications.decideMany(reviewer, { ids: first.ids, decision: 'approve' });
    // 10 + 10 would pass 16: the second batch opens list 2.
    const second = await submitted(10);
    await ctx.services.applications.decideMany(reviewer, { ids: second.ids, decision: 'approve' });
    // One more, alone: list 2 still has room (11 ≤ 16).
    const third = await submitted(1);
    await ctx.services.applications.act(reviewer, third.ids[0]!, 'approve');

    const listOf = async (resident: (typeof first.residents)[number], caseId: string) => {
      const cert = await ctx.services.certificates.getByCase(resident, caseId);
      const payload = parsePayload((await ctx.services.certificates.document(resident, cert.id)).payload)!;
      const [row] = (
        await ctx.database.db.execute<{ list: string; index: number }>(
          sql`select status_list as list, status_index as index from certificates where id = ${cert.id}`,
        )
      ).rows;
      // The signed payload names the list and slot the row holds.
      expect(payload.status.list).toBe(`http://localhost:3000/api/status-lists/${row!.list}`);
      expect(payload.status.index).toBe(row!.index);
      expect(payload.status.index).toBeLessThan(64);
      return row!.list;
    };
    for (const [i, id] of first.ids.entries()) expect(await listOf(first.residents[i]!, id)).toBe('1');
    for (const [i, id] of second.ids.entries()) expect(await listOf(second.residents[i]!, id)).toBe('2');
    expect(await listOf(third.residents[0]!, third.ids[0]!)).toBe('2');
    expect((await used()).map((l) => [l.id, l.used, l.actual, l.size])).toEqual([
      [1, 10, 10, 64],
      [2, 11, 11, 64],
    ]);
    expect((await slots()).every((s) => s.certs === 1)).toBe(true);
  });

  it('never gives one slot to two certificates of concurrent batches, and counts every list', async () => {
    const reviewers = [await ctx.newStaff('village_reviewer', VILLAGE), await ctx.newStaff('village_reviewer', VILLAGE)];
    const batches = [];
    for (let b = 0; b < 4; b++) batches.push(await submitted(4));
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        batches.map((batch, b) =>
          ctx.services.applications.decideMany(reviewers[b % 2]!, { ids: batch.ids.slice(round * 2, round * 2 + 2), decision: 'approve' }),
        ),
      );
      expect(results.flat().every((r) => r.outcome === 'approved')).toBe(true);
    }
    const all = await slots();
    expect(all.every((s) => s.certs === 1 && s.index >= 0 && s.index < 64)).toBe(true);
    const { rows } = await ctx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from certificates`);
    expect(all).toHaveLength(rows[0]!.n);
    for (const l of await used()) expect(l.used).toBe(l.actual);
  });

  it('publishes, revokes and verifies in a later list', async () => {
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    // Fill whatever list is newest past the threshold, so that the next certificate opens a new one.
    const newest = (await used()).at(-1)!;
    const filler = await submitted(Math.max(0, 17 - newest.used));
    if (filler.ids.length > 0) await ctx.services.applications.decideMany(reviewer, { ids: filler.ids, decision: 'approve' });
    const { ids, residents } = await submitted(1);
    await ctx.services.applications.act(reviewer, ids[0]!, 'approve');
    const cert = await ctx.services.certificates.getByCase(residents[0]!, ids[0]!);
    const payload = parsePayload((await ctx.services.certificates.document(residents[0]!, cert.id)).payload)!;
    const list = ctx.services.certificates.statusListOf(payload.status.list)!;
    expect(Number(list)).toBeGreaterThanOrEqual(3);

    await ctx.services.ledger.integrate();
    const bundle = await ctx.services.certificates.bundle(residents[0]!, cert.id);
    expect((await ctx.services.certificates.verify(bundle)).verdict).toBe('VALID');
    await ctx.services.certificates.changeStatus(reviewer, cert.id, 'revoked', '信息有误');

    const published = await app.inject({ method: 'GET', url: `/api/status-lists/${list}/revocation` });
    expect(published.statusCode).toBe(200);
    expect(published.headers['cache-control']).toContain('max-age');
    const bits = await decodeStatusList(published.json<{ credentialSubject: { encodedList: string } }>().credentialSubject.encodedList);
    expect(bits).toHaveLength(64 / 8);
    expect(bits && isBitSet(bits, payload.status.index)).toBe(true);
    // List 1 has no revocation at all.
    const one = await app.inject({ method: 'GET', url: '/api/status-lists/1/revocation' });
    const oneBits = await decodeStatusList(one.json<{ credentialSubject: { encodedList: string } }>().credentialSubject.encodedList);
    expect(oneBits && [...oneBits].every((b) => b === 0)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/api/status-lists/999/revocation' })).statusCode).toBe(404);

    const result = await ctx.services.certificates.verify(bundle);
    expect(result.verdict).toBe('INVALID');
    expect(result.checks.find((c) => c.check === 'status')?.reason).toBe('REVOKED');
  });
});
