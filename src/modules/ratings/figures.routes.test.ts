import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFiguresVerify } from '../../cli/figures-command.ts';
import { testEngines } from '../../../test/db.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { buildServer, type App } from '../../http/server.ts';
import { verifyFiguresBundle, type FiguresBundle } from '../../verify/figures-bundle.ts';
import { encodeRatingLeaf, type RatingLeafEvent } from './leaf.ts';
import { createPublicFigures } from './figures.ts';
import { publicFiguresRoutes } from './figures.routes.ts';

const COUNTY = '130123';

describe.each(testEngines())('public rating figures over HTTP on %s', (engine) => {
  let ctx: TestContext;
  let app: App;
  const now = new Date('2026-12-10T02:00:00Z');

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => now });
    const { ledger, orgs, catalog } = ctx.services;
    // Rating leaves as the ratings module writes them: one in October, eight in November (two bad,
    // one called back), one in December after the cut-off.
    let n = 0;
    const rated = (level: number): RatingLeafEvent => ({
      event: 'rated',
      rating: `r${++n}`,
      org: VILLAGE,
      service: 'cert.residence',
      subject: 'case',
      level,
      channel: 'app',
      realName: true,
      rater: null,
    });
    const leaves: [RatingLeafEvent, string][] = [
      [rated(5), '2026-10-20T02:00:00Z'],
      ...[5, 5, 4, 4, 5, 3, 1, 2].map((l, i): [RatingLeafEvent, string] => [rated(l), `2026-11-${10 + i}T02:00:00Z`]),
      [{ event: 'callback', rating: 'r8', org: VILLAGE, service: 'cert.residence', outcome: 'reached' }, '2026-11-20T02:00:00Z'],
      [rated(4), '2026-12-05T02:00:00Z'],
    ];
    await ledger.append({ kind: 'certificate.issued', data: new TextEncoder().encode('{"kind":"other"}') });
    for (const [event, at] of leaves) await ledger.append({ kind: 'rating.v1', data: encodeRatingLeaf(event, new Date(at)) });
    await ledger.sequenceNow();
    app = await buildServer({
      database: ctx.database,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [publicFiguresRoutes({ figures: createPublicFigures({ ledger, orgs, catalog, clock: () => now }) })],
      logLevel: 'silent',
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('shows an org’s figures without login, suppressing small counts, and refuses unknown orgs and bad periods', async () => {
    const res = await app.inject({ url: `/api/public/figures/2026-11/orgs/${COUNTY}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ org: { name: string }; total: Record<string, unknown>; services: { code: string }[] }>();
    expect(body.org.name).toBe('正定县');
    expect(body.total).toMatchObject({ ratings: 8, good: 5, goodRate: 0.625, bad: 'suppressed', callbackRate: 'suppressed' });
    expect(body.services.map((s) => s.code)).toEqual(['cert.residence']);

    const unknown = await app.inject({ url: '/api/public/figures/2026-11/orgs/999999' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await app.inject({ url: '/api/public/figures/2026-13' })).statusCode).toBe(400);
    // December is not published before 3 January.
    expect((await app.inject({ url: '/api/public/figures/2026-12' })).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const summary = await app.inject({ url: '/api/public/figures/2026-11' });
    expect(summary.json<{ orgs: { code: string }[] }>().orgs.map((o) => o.code)).toContain(VILLAGE);
  });

  it('serves a bundle that verifies against the log key, and a tampered one that does not', async () => {
    const res = await app.inject({ url: '/api/public/figures/2026-11/bundle' });
    expect(res.statusCode).toBe(200);
    const bundle = res.json<FiguresBundle>();
    const vkey = await ctx.services.ledger.vkey();
    expect(verifyFiguresBundle(bundle, vkey, { org: COUNTY })).toMatchObject({ status: 'VALID', ratingLeaves: 11 });
    const tampered = structuredClone(bundle);
    tampered.figures.orgs[COUNTY]!.total.ratings = 9;
    expect(verifyFiguresBundle(tampered, vkey)).toMatchObject({ status: 'INVALID', reason: 'FIGURES_MISMATCH' });
    const dropped = structuredClone(bundle);
    dropped.entries.splice(3, 1);
    dropped.range.end -= 1;
    expect(verifyFiguresBundle(dropped, vkey).status).toBe('INVALID');
  });

  it('yiban figures verify: VALID from a file with the pinned trust list, INVALID for a tampered one, INDETERMINATE for another period', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-figures-'));
    const bundle = (await app.inject({ url: '/api/public/figures/2026-11/bundle' })).json<FiguresBundle>();
    const trust = path.join(dir, 'trust.json');
    writeFileSync(trust, JSON.stringify({ version: 1, roots: [], ledger: { vkey: await ctx.services.ledger.vkey() } }));
    const file = path.join(dir, 'bundle.json');
    writeFileSync(file, JSON.stringify(bundle));
    expect(await runFiguresVerify(file, { trust, org: COUNTY, period: '2026-11' })).toMatchObject({ status: 'VALID' });
    expect(await runFiguresVerify(file, { trust, period: '2026-10' })).toMatchObject({ status: 'INDETERMINATE' });
    bundle.figures.orgs[VILLAGE]!.total.good = 4;
    writeFileSync(file, JSON.stringify(bundle));
    expect(await runFiguresVerify(file, { trust })).toMatchObject({ status: 'INVALID', reason: 'FIGURES_MISMATCH' });
  });
});
