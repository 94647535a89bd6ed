import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, PASSWORD, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';

const COUNTY = '130123';
const TOWNSHIP = '130123100';
const FORM = { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' };

describe.each(testEngines())('the four-level overview and helper acts on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('counts open and overdue cases per child, drills down to a village, and hides other subtrees', async () => {
    const a = await ctx.newResident();
    const b = await ctx.newResident({ homeOrgCode: ctx.otherVillage });
    const submit = async (who: typeof a) =>
      (await ctx.services.applications.submit(who, { serviceCode: 'cert.residence', form: FORM })).case;
    const [a1, a2, a3, b1] = [await submit(a), await submit(a), await submit(a), await submit(b)];
    // One of 塔元庄村's cases is overdue, one is decided (no longer open).
    await ctx.database.db.execute(sql`update cases set due_date = '2020-01-02' where id = ${a1.id}`);
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    await ctx.services.applications.act(reviewer, a2.id, 'reject', '材料不符');
    void a3;
    void b1;

    const countyAdmin = await ctx.newStaff('county_admin', COUNTY);
    const county = await ctx.services.overview.overview(countyAdmin, COUNTY);
    expect(county.org).toMatchObject({ code: COUNTY, level: 'county' });
    expect(county.totals).toEqual({ open: 3, overdue: 1 });
    const township = county.children.find((c) => c.code === TOWNSHIP)!;
    expect(township).toMatchObject({ level: 'township', open: 3, overdue: 1, leaf: false });
    // Every child is listed, also those without cases.
    expect(county.children.length).toBeGreaterThan(10);
    expect(county.children.filter((c) => c.code !== TOWNSHIP && c.open > 0)).toEqual([]);

    const down = await ctx.services.overview.overview(countyAdmin, TOWNSHIP);
    expect(down.trail.map((o) => o.code)).toEqual([COUNTY]);
    const village = down.children.find((c) => c.code === VILLAGE)!;
    expect(village).toMatchObject({ open: 2, overdue: 1, leaf: true });
    expect(down.children.find((c) => c.code === ctx.otherVillage)).toMatchObject({ open: 1, overdue: 0 });
    const leaf = await ctx.services.overview.overview(countyAdmin, VILLAGE);
    expect(leaf.totals).toEqual({ open: 2, overdue: 1 });
    expect(leaf.children).toEqual([]);
    expect(leaf.trail.map((o) => o.code)).toEqual([COUNTY, TOWNSHIP]);

    // A township administrator sees its own township, not the county above, nor another county.
    const townshipAdmin = await ctx.newStaff('township_admin', TOWNSHIP);
    expect((await ctx.services.overview.overview(townshipAdmin, TOWNSHIP)).trail).toEqual([]);
    expect(await rejection(ctx.services.overview.overview(townshipAdmin, COUNTY))).toBe('NOT_FOUND');
    const otherCounty = await ctx.newStaff('county_admin', '130102');
    expect(await rejection(ctx.services.overview.overview(otherCounty, TOWNSHIP))).toBe('NOT_FOUND');
    // A reviewer and a resident have no overview.
    expect(await rejection(ctx.services.overview.overview(reviewer, VILLAGE))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.overview.overview(a, VILLAGE))).toBe('FORBIDDEN');
  });

  it('shows a resident what a helper did on their behalf, and nothing to others', async () => {
    const resident = await ctx.newResident({ name: '王芳' });
    const helper = await ctx.newStaff('helper', VILLAGE);
    const validUntil = new Date(Date.now() + 7 * 86_400_000).toISOString();
    await ctx.services.identity.createDelegation(resident, {
      helperUsername: helper.username,
      scopes: ['applications.submit', 'applications.view'],
      validUntil,
    });
    expect(await ctx.services.applications.listHelperActs(resident)).toEqual([]);
    // Her own application is not on the list; the helper's is, with the helper's account.
    await ctx.services.applications.submit(resident, { serviceCode: 'cert.residence', form: FORM });
    const acting = await ctx.login({ kind: 'staff', username: helper.username, password: PASSWORD, channel: 'web' }, resident.accountId);
    const { case: c } = await ctx.services.applications.submit(acting, { serviceCode: 'cert.residence', form: FORM });
    const acts = await ctx.services.applications.listHelperActs(resident);
    // Filling in the form and submitting it: two acts, newest first, both on this case.
    expect(acts.map((x) => [x.caseId, x.fromState === null ? 'filled in' : x.fromState, x.toState])).toEqual([
      [c.id, 'draft', 'submitted'],
      [c.id, 'filled in', 'draft'],
    ]);
    expect(acts[0]).toMatchObject({
      caseId: c.id,
      caseNo: c.caseNo,
      helperId: helper.accountId,
      action: 'submit',
      toState: 'submitted',
      channel: 'helper',
    });
    expect(acts[0]!.serviceName.zh).toBe(c.serviceName.zh);
    // Only the resident herself reads it: not the helper acting for her, not another resident.
    expect(await rejection(ctx.services.applications.listHelperActs(acting))).toBe('FORBIDDEN');
    expect(await ctx.services.applications.listHelperActs(await ctx.newResident())).toEqual([]);
  });
});
