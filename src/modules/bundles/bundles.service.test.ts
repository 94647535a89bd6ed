import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { type TestContext } from '../../../test/factories.ts';
import { bundleContext, motherIn } from '../../../test/bundle-fixtures.ts';
import { readCaseSummaries } from '../applications/case-summaries.ts';
import { certificatesOfCases } from '../certificates/certificates-of-cases.ts';
import type { Principal } from '../identity/principal.ts';
import { validateDefinition, type BundleDefinition } from './bundle-definition.ts';
import { BUNDLE_DEFINITIONS } from './bundle-definitions.ts';
import { demoBirthTime } from '../sharing/sharing-records.seed.ts';
import { createBundlesService } from './bundles.service.ts';

const birth = BUNDLE_DEFINITIONS.find((d) => d.code === 'birth')!;
let keySeq = 0;
const key = () => `bundle-key-${Date.now().toString(36)}-${keySeq++}`;

describe.each(testEngines())('life-event bundles on %s', (engine) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await bundleContext(engine);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  const mother = (name?: string) => motherIn(ctx, name);

  it('runs the birth bundle end to end with instant approval: five outputs, in dependency order, each once', async () => {
    const parent = await mother();
    const { bundle, replayed } = await ctx.services.bundles.start(parent, { bundle: 'birth', form: {}, consent: true }, key());
    expect(replayed).toBe(false);
    expect(bundle.state).toBe('done');
    expect(bundle.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(new Set(bundle.tasks.map((t) => t.department?.code)).size).toBe(4);
    for (const t of bundle.tasks) expect(t.decidedBy).toMatch(/^rule:/);
    const identifiers = bundle.tasks.map((t) => t.output?.identifier);
    expect(new Set(identifiers).size).toBe(5);
    expect(bundle.burden.outputs).toEqual(identifiers);
    // The prefilled values are the datasets', and the child's name reaches every certificate's case.
    expect(bundle.form.find((f) => f.name === 'birthDate')).toMatchObject({
      value: demoBirthTime().slice(0, 10),
      prefilled: true,
      dataset: 'health.birth_record',
    });
    expect(bundle.form.find((f) => f.name === 'householdHead')).toMatchObject({ value: '张伟', prefilled: true });

    // Dependency order: each task was submitted only after its dependency completed.
    const cases = new Map<string, Awaited<ReturnType<typeof ctx.services.applications.getCase>>>();
    for (const t of bundle.tasks) cases.set(t.key, await ctx.services.applications.getCase(parent, t.caseId!));
    for (const t of birth.tasks) {
      const own = cases.get(t.key)!;
      expect(own.form.childName).toBe('张小宝');
      const approve = own.events.find((e) => e.action === 'approve')!;
      expect(approve.reason).toMatch(/^即办规则 instant-approval rule: /);
      // The rule decided as a system actor of its own (no person's account, nobody's proxy).
      expect(approve.actorId).not.toBe(parent.accountId);
      expect(approve.onBehalfOf).toBeNull();
      if (t.dependsOn.length > 0) {
        // A task submitted after the start: by the bundle's system actor, on behalf of the parent.
        const submitted = own.events.find((e) => e.action === 'submit' && e.toState === 'submitted')!;
        expect(submitted.actorId).not.toBe(parent.accountId);
        expect(submitted.onBehalfOf).toBe(parent.accountId);
      }
      for (const d of t.dependsOn) expect(cases.get(d)!.completedAt! <= own.submittedAt!).toBe(true);
    }
    const mine = await ctx.services.certificates.listMine(parent, {});
    const issued = mine.items.map((c: { identifier: string }) => c.identifier).sort();
    expect(issued).toEqual([...identifiers].sort());

    // Every prefilled field was fetched through a completed, ledgered exchange the mother can see.
    const exchanges = await ctx.services.dataSharing.listMyExchanges(parent);
    expect(exchanges.items.length).toBe(3);
    for (const e of exchanges.items) {
      expect(e.status).toBe('completed');
      expect(e.ledgerEntryId).not.toBeNull();
    }

    // The floor: ≥ 80 % prefilled, materials −90 %, time −80 %.
    const b = await ctx.services.bundles.burden(parent, bundle.id);
    expect(b).toMatchObject({
      fieldsTotal: 5,
      fieldsPrefilled: 4,
      trips: 0,
      materialsSeparate: 13,
      materialsBundle: 1,
      daysSeparate: 40,
      daysBundle: 1,
    });
    expect(b.fieldsPrefilled / b.fieldsTotal).toBeGreaterThanOrEqual(0.8);
    expect(1 - b.materialsBundle / b.materialsSeparate).toBeGreaterThanOrEqual(0.9);
    expect(1 - b.daysBundle! / b.daysSeparate).toBeGreaterThanOrEqual(0.8);
  }, 120_000);

  it("reads a bundle's cases and outputs in batches as the full views show them, and only for their applicant", async () => {
    const parent = await mother('李静');
    const other = await ctx.newResident({ name: '赵敏' });
    const { bundle } = await ctx.services.bundles.start(parent, { bundle: 'birth', form: {}, consent: true }, key());
    const ids = bundle.tasks.map((t) => t.caseId!);
    const summaries = await readCaseSummaries(ctx.database.db, parent.accountId, ids);
    expect(summaries.size).toBe(5);
    for (const id of ids) {
      const full = await ctx.services.applications.getCase(parent, id);
      const approve = full.events.find((e) => e.action === 'approve' || e.action === 'reject')!;
      expect(summaries.get(id)).toMatchObject({
        caseNo: full.caseNo,
        state: full.state,
        orgCode: full.orgCode,
        dueDate: full.dueDate,
        completedAt: full.completedAt,
        decision: { action: approve.action, reason: approve.reason },
      });
    }
    const outputs = await certificatesOfCases(ctx.database.db, parent.accountId, ids);
    for (const id of ids) {
      const cert = await ctx.services.certificates.getByCase(parent, id);
      expect(outputs.get(id)).toEqual({ certificateId: cert.id, identifier: cert.identifier });
    }
    // Someone else's cases and certificates are not there for them, as getCase and getByCase would not find them.
    expect((await readCaseSummaries(ctx.database.db, other.accountId, ids)).size).toBe(0);
    expect((await certificatesOfCases(ctx.database.db, other.accountId, ids)).size).toBe(0);
  });

  it('previews the form and every exchange before the start, without reading or recording anything', async () => {
    const parent = await mother('周琳');
    const preview = await ctx.services.bundles.preview(parent, 'birth');
    expect(preview.fields.map((f) => [f.name, f.source])).toEqual([
      ['childName', 'dataset'],
      ['birthDate', 'dataset'],
      ['hospital', 'dataset'],
      ['householdHead', 'dataset'],
      ['bankBranch', 'typed'],
    ]);
    expect(preview.fields.find((f) => f.name === 'birthDate')).toMatchObject({
      labelZh: '出生日期',
      type: 'date',
      required: true,
      dataset: { code: 'health.birth_record' },
      provider: { code: ctx.departments.health },
    });
    expect(preview.fields.find((f) => f.name === 'bankBranch')).toMatchObject({ required: false, dataset: null });
    // One exchange per (task, dataset, purpose), each asked by the department that will handle the task.
    expect(preview.exchanges.map((e) => [e.task.key, e.dataset.code, e.consumer?.code, e.fields.map((f) => f.name)])).toEqual([
      ['household_registration', 'health.birth_record', ctx.departments.public_security, ['birthTime', 'childName']],
      ['medical_certificate', 'health.birth_record', ctx.departments.health, ['hospital']],
      ['household_registration', 'ps.household_register', ctx.departments.public_security, ['householdHead']],
    ]);
    for (const e of preview.exchanges) {
      expect(e).toMatchObject({ granted: true, consentRequired: false });
      expect(e.legalBasis).toMatch(/《/);
      expect(e.grantValidUntil).not.toBeNull();
    }
    expect(preview.tasks.map((t) => t.department?.code)).toEqual([
      ctx.departments.health,
      ctx.departments.health,
      ctx.departments.public_security,
      ctx.departments.medical_security,
      ctx.departments.human_resources,
    ]);
    expect(preview.tasks.flatMap((t) => t.materials.map((m) => m.code))).toEqual(['photo']);
    expect(preview.burden).toMatchObject({ fieldsTotal: 5, fieldsPrefilled: 4, materialsBundle: 1, daysSeparate: 40, daysBundle: null });
    // A preview is not an exchange: nothing about the parent was read or written.
    expect((await ctx.services.dataSharing.listMyExchanges(parent)).items).toEqual([]);

    // The retirement bundle's grants need the parent's consent, and the preview says so.
    const retirement = await ctx.services.bundles.preview(parent, 'retirement');
    const pension = retirement.exchanges.find((e) => e.task.key === 'pension_claim')!;
    expect(pension).toMatchObject({ granted: true, consentRequired: true, consumer: { code: ctx.departments.human_resources } });

    const officer = await ctx.newStaff('department_officer', ctx.departments.health!);
    expect(await rejection(ctx.services.bundles.preview(officer, 'birth'))).toBe('FORBIDDEN');
    expect(await rejection(ctx.services.bundles.preview(parent, 'no-such-bundle'))).toBe('NOT_FOUND');
  });

  it('gives one bundle for a retried start, and issues nothing twice', async () => {
    const parent = await mother('孙梅');
    const k = key();
    const first = await ctx.services.bundles.start(parent, { bundle: 'birth', form: { bankBranch: '农行正定支行' }, consent: true }, k);
    const again = await ctx.services.bundles.start(parent, { bundle: 'birth', form: { bankBranch: '农行正定支行' }, consent: true }, k);
    expect(again.replayed).toBe(true);
    expect(again.bundle.id).toBe(first.bundle.id);
    expect(again.bundle.burden.outputs).toEqual(first.bundle.burden.outputs);
    expect((await ctx.services.bundles.listMine(parent)).map((b) => b.id)).toEqual([first.bundle.id]);
    expect((await ctx.services.certificates.listMine(parent, {})).items.length).toBe(5);
    expect(
      await rejection(ctx.services.bundles.start(parent, { bundle: 'birth', form: { bankBranch: '别的网点' }, consent: true }, k)),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
  }, 120_000);

  it('runs the retirement bundle (three departments, consented exchanges) with no new code', async () => {
    const parent = await mother('李秀兰');
    await expect(
      ctx.services.bundles.start(parent, { bundle: 'retirement', form: { bankAccount: '6228480000000000' }, consent: false }, key()),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const { bundle } = await ctx.services.bundles.start(
      parent,
      { bundle: 'retirement', form: { bankAccount: '6228480000000000' }, consent: true },
      key(),
    );
    expect(bundle.state).toBe('done');
    expect(new Set(bundle.tasks.map((t) => t.department?.code))).toEqual(
      new Set([ctx.departments.human_resources, ctx.departments.medical_security, ctx.departments.civil_affairs]),
    );
    expect(bundle.burden.outputs.length).toBe(3);
    expect(bundle.form.find((f) => f.name === 'bankAccount')).toMatchObject({ prefilled: false, value: '6228480000000000' });
  }, 120_000);

  it('refuses definitions with a cycle or an unknown item', async () => {
    const items = new Map(
      await Promise.all(birth.tasks.map(async (t) => [t.item, (await ctx.services.catalog.getItem(t.item))!] as const)),
    );
    expect(() => validateDefinition(birth, items)).not.toThrow();
    const cyclic: BundleDefinition = {
      ...birth,
      tasks: birth.tasks.map((t) => (t.key === 'medical_certificate' ? { ...t, dependsOn: ['social_security_card'] } : t)),
    };
    expect(() => validateDefinition(cyclic, items)).toThrow(/cycle/);
    const unknown: BundleDefinition = { ...birth, tasks: [...birth.tasks, { key: 'passport', item: 'birth.passport', dependsOn: [] }] };
    expect(() => validateDefinition(unknown, items)).toThrow(/unknown item birth\.passport/);
    const badDep: BundleDefinition = {
      ...birth,
      tasks: birth.tasks.map((t) => (t.key === 'vaccination' ? { ...t, dependsOn: ['nowhere'] } : t)),
    };
    expect(() => validateDefinition(badDep, items)).toThrow(/unknown task nowhere/);
    expect(() => validateDefinition({ ...birth, tasks: 'x' }, items)).toThrow(/bundle definition/);

    // Through the service: the broken bundle is refused, nothing is created.
    const bundles = createBundlesService({ ...ctx.services, db: ctx.database.db, definitions: [cyclic] });
    const parent = await ctx.newResident();
    expect(await rejection(bundles.start(parent, { bundle: 'birth', form: {}, consent: true }, key()))).toBe('VALIDATION_FAILED');
    expect(await bundles.listMine(parent)).toEqual([]);
  });

  it('shows a bundle only to its parent', async () => {
    const parent = await mother('吴静');
    const { bundle } = await ctx.services.bundles.start(parent, { bundle: 'birth', form: {}, consent: true }, key());
    const other: Principal = await ctx.newResident();
    expect(await rejection(ctx.services.bundles.getProgress(other, bundle.id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.bundles.burden(other, bundle.id))).toBe('NOT_FOUND');
    expect(await ctx.services.bundles.listMine(other)).toEqual([]);
    const staff = await ctx.newStaff('department_officer', ctx.departments.health!);
    expect(await rejection(ctx.services.bundles.getProgress(staff, bundle.id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.bundles.start(staff, { bundle: 'birth', form: {}, consent: true }))).toBe('FORBIDDEN');
    expect(await rejection(ctx.services.bundles.getProgress(parent, 'not-a-uuid'))).toBe('NOT_FOUND');
  }, 120_000);
});

describe.each(testEngines())('a bundle decided partly by an officer on %s', (engine) => {
  let ctx: TestContext;
  // The birth bundle without 公安's instant-approval rule: an officer decides the registration.
  const manual = { ...birth, rules: birth.rules.filter((r) => r.departmentKind !== 'public_security') };

  beforeAll(async () => {
    ctx = await bundleContext(engine, [manual, ...BUNDLE_DEFINITIONS.filter((d) => d.code !== 'birth')]);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
  });

  const mother = (name?: string) => motherIn(ctx, name);

  it('shows why a task waits when its dependency is rejected; completed outputs stay valid', async () => {
    const bundles = ctx.services.bundles;
    const parent = await mother('周敏');
    const { bundle } = await bundles.start(parent, { bundle: 'birth', form: {}, consent: true }, key());
    const byKey = new Map(bundle.tasks.map((t) => [t.key, t]));
    expect(byKey.get('medical_certificate')!.state).toBe('done');
    expect(byKey.get('household_registration')!.state).toBe('in_progress');
    expect(byKey.get('household_registration')!.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(byKey.get('medical_insurance')!.state).toBe('waiting');

    const officer = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const queue = await ctx.services.applications.queue(officer, { orgCode: ctx.departments.public_security! });
    expect(queue.items.map((c) => c.id)).toContain(byKey.get('household_registration')!.caseId);
    // Tasks still waiting are not in any queue.
    const medsec = await ctx.newStaff('department_officer', ctx.departments.medical_security!);
    expect(
      (await ctx.services.applications.queue(medsec, { orgCode: ctx.departments.medical_security! })).items.map((c) => c.id),
    ).not.toContain(byKey.get('medical_insurance')!.caseId);

    await ctx.services.applications.act(officer, byKey.get('household_registration')!.caseId!, 'reject', '户主信息与户籍档案不一致');
    const after = await bundles.getProgress(parent, bundle.id);
    const t = new Map(after.tasks.map((x) => [x.key, x]));
    expect(after.state).toBe('needs_attention');
    expect(t.get('household_registration')).toMatchObject({ state: 'rejected', decidedBy: 'officer' });
    expect(t.get('household_registration')!.reason!.zh).toContain('户主信息与户籍档案不一致');
    expect(t.get('medical_insurance')!.state).toBe('blocked');
    expect(t.get('medical_insurance')!.reason!.en).toContain('Birth household registration');
    expect(t.get('social_security_card')!.state).toBe('blocked');
    const cert = await ctx.services.certificates.get(parent, t.get('medical_certificate')!.output!.certificateId);
    expect(cert.status).toBe('active');
    expect(after.burden.daysBundle).toBeNull();
  }, 120_000);

  it("moves on after an officer's approval without the parent looking", async () => {
    const bundles = ctx.services.bundles;
    const parent = await mother('郑丽');
    const { bundle } = await bundles.start(parent, { bundle: 'birth', form: {}, consent: true }, key());
    const task = (k: string) => bundle.tasks.find((t) => t.key === k)!;
    expect(task('medical_insurance').state).toBe('waiting');
    const officer = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    await ctx.services.applications.act(officer, task('household_registration').caseId!, 'approve');
    // The decision's case.decided event moves the bundle on, through the outbox worker.
    await ctx.services.events.drain();
    // Read the cases directly: reading the bundle's progress would move it on too.
    for (const k of ['medical_insurance', 'social_security_card']) {
      const c = await ctx.services.applications.getCase(parent, task(k).caseId!);
      expect(c.state).toBe('completed');
      expect(c.events.find((e) => e.action === 'approve')!.reason).toMatch(/instant-approval rule/);
    }
    const after = await bundles.getProgress(parent, bundle.id);
    expect(after.state).toBe('done');
    expect(after.tasks.find((t) => t.key === 'household_registration')!.decidedBy).toBe('officer');
    // Completed once: one bundle.completed event, ids and codes only, however often the handler ran.
    await ctx.services.events.drain();
    const completed = await ctx.database.db.execute<{ payload: unknown }>(
      sql`select payload from outbox where topic = 'bundle.completed' and payload->>'bundleId' = ${bundle.id}`,
    );
    expect(completed.rows.map((r) => r.payload)).toEqual([{ bundleId: bundle.id, code: 'birth' }]);
    expect((await ctx.services.certificates.listMine(parent, {})).items.length).toBe(5);
  }, 120_000);
});
