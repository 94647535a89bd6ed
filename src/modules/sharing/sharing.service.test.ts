import { generateKeyPairSync } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, PASSWORD, type TestContext } from '../../../test/factories.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { saltedDigest } from './exchange-entry.ts';
import type { Principal } from '../identity/principal.ts';
import { AppError, formatMessage } from '../../core/errors.ts';
import { encodeSpki, publicKeyToPem } from '../../verify/keys.ts';
import { sm2GenerateKeyPair } from '../../verify/sm2-keys.ts';
import { publicKeyPem } from './http-signature-keys.ts';
import { createSharingAdmin } from './sharing-admin.ts';
import { seedDatasets } from './sharing.seed.ts';
import { createDataSharingService } from './sharing.service.ts';
import { sharingExchanges } from './sharing.tables.ts';

const DAY = 86_400_000;
let keySeq = 0;
const requestKey = () => `req-${Date.now().toString(36)}-${keySeq++}`;

describe.each(testEngines())('data sharing on %s', (engine) => {
  let ctx: TestContext;
  let offsetMs = 0;
  let police: Principal;
  let health: Principal;
  let civil: Principal;
  let supervisor: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => new Date(Date.now() + offsetMs) });
    await ctx.services.sharingAdmin.upsertDatasets(seedDatasets(ctx.departments));
    police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    health = await ctx.newStaff('department_officer', ctx.departments.health!);
    civil = await ctx.newStaff('department_officer', ctx.departments.civil_affairs!);
    supervisor = await ctx.newStaff('supervisor', '130123');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const sharing = () => ctx.services.dataSharing;
  const admin = () => ctx.services.sharingAdmin;

  it("has none of the sharing admin's methods: the seed and the CLI configure without an access check, the routes cannot", () => {
    const { services } = ctx;
    const deps = {
      db: ctx.database.db,
      masterKey: ctx.masterKey,
      ledger: services.ledger,
      events: services.events,
      orgs: services.orgs,
      cases: services.applications,
      residents: services.identity,
      licences: services.certificates,
    };
    const service = createDataSharingService(deps);
    const adminMethods = Object.keys(createSharingAdmin(deps));
    expect(adminMethods).toEqual(expect.arrayContaining(['upsertRecords', 'upsertDatasets', 'ensureGrant', 'setProvider']));
    for (const name of adminMethods) expect(service).not.toHaveProperty(name);
  });

  /** A resident with a household registration case at 公安 and records in the marriage and birth datasets. */
  async function residentWithCase(name = '赵丽') {
    const resident = await ctx.newResident({ name });
    await admin().upsertRecords('civil.marriage_record', [
      {
        residentId: resident.residentId,
        data: {
          maritalStatus: '已婚',
          spouseName: '钱进',
          registeredOn: '2020-05-20',
          certificateNo: 'J2020-77',
          registry: '正定县民政局',
        },
      },
    ]);
    await admin().upsertRecords('health.birth_record', [
      {
        residentId: resident.residentId,
        data: {
          childName: '钱小宝',
          childGender: '男',
          birthTime: '2026-11-20T08:00:00+08:00',
          birthPlace: '正定县',
          hospital: '正定县人民医院',
          weightGrams: '3300',
          certificateNo: 'O1301239',
        },
      },
    ]);
    const submitted = await ctx.services.applications.submit(resident, {
      serviceCode: 'birth.household_registration',
      form: { childName: '钱小宝', householdHead: '钱进' },
    });
    return { resident, caseId: submitted.case.id };
  }

  /** A grant; a waived-consent one cites the catalogue and is approved by the county supervisor. */
  async function grant(by: Principal, overrides: Partial<Parameters<ReturnType<typeof sharing>['createGrant']>[1]> = {}) {
    const created = await request(by, overrides);
    return created.status === 'pending_approval' ? sharing().approveGrant(supervisor, created.id) : created;
  }

  async function request(by: Principal, overrides: Partial<Parameters<ReturnType<typeof sharing>['createGrant']>[1]> = {}) {
    return sharing().createGrant(by, {
      datasetCode: 'civil.marriage_record',
      consumerOrgCode: ctx.departments.public_security!,
      fields: ['maritalStatus', 'spouseName', 'certificateNo'],
      purpose: 'birth.household_registration',
      legalBasis: '《婚姻登记条例》',
      consentRequired: true,
      validUntil: new Date(Date.now() + offsetMs + 30 * DAY),
      ...(overrides.consentRequired === false ? { legalBasisCode: 'pipl-13-1-3' } : {}),
      ...overrides,
    });
  }

  // Entries are sequenced asynchronously: number what is queued first.
  const ledgerSize = async () => {
    await ctx.services.ledger.sequenceNow();
    return (await ctx.database.db.select({ n: count() }).from(ledgerEntries))[0]!.n;
  };
  const exchangesOfCase = async (caseId: string) =>
    (await ctx.database.db.select({ n: count() }).from(sharingExchanges).where(eq(sharingExchanges.caseId, caseId)))[0]!.n;

  it('lets only the provider department manage its grants, with known fields', async () => {
    const created = await grant(civil);
    expect(created).toMatchObject({ datasetCode: 'civil.marriage_record', consentRequired: true, revokedAt: null });
    expect(created.consumer.code).toBe(ctx.departments.public_security);
    expect(await rejection(grant(police))).toBe('FORBIDDEN');
    expect(await rejection(grant(civil, { fields: ['maritalStatus', 'salary'] }))).toBe('UNKNOWN_FIELD');
    expect(await rejection(grant(civil, { datasetCode: 'civil.nothing' }))).toBe('NOT_FOUND');
    expect(await rejection(grant(civil, { validUntil: new Date(Date.now() - DAY) }))).toBe('VALIDATION_FAILED');
    const resident = await ctx.newResident();
    expect(await rejection(grant(resident))).toBe('FORBIDDEN');
    expect(await rejection(sharing().revokeGrant(police, created.id))).toBe('NOT_FOUND');
    expect((await sharing().revokeGrant(civil, created.id)).revokedAt).not.toBeNull();
    expect((await sharing().listGrants(civil, ctx.departments.civil_affairs!)).map((g) => g.id)).toContain(created.id);
  });

  it('keeps a waived-consent grant pending until a supervisor other than its author approves it, on the ledger', async () => {
    const birth = {
      datasetCode: 'health.birth_record',
      consumerOrgCode: ctx.departments.bank!,
      fields: ['childName'],
      consentRequired: false,
      purpose: 'bank.account_opening',
    };
    // Free text is not a legal basis; nor is a code outside the catalogue. Nothing is written.
    const before = await ledgerSize();
    expect(await rejection(request(health, { ...birth, legalBasis: 'x', legalBasisCode: undefined }))).toBe('LEGAL_BASIS_REQUIRED');
    expect(await rejection(request(health, { ...birth, legalBasis: 'x', legalBasisCode: 'made-up-law' }))).toBe('UNKNOWN_LEGAL_BASIS');
    expect(await ledgerSize()).toBe(before);

    const pending = await request(health, { ...birth, legalBasis: '开户核验', legalBasisCode: 'pipl-13-1-3' });
    expect(pending).toMatchObject({ status: 'pending_approval', consentRequired: false, requestedBy: health.accountId, decidedBy: null });
    expect(pending.legalBasisRef).toMatchObject({
      code: 'pipl-13-1-3',
      titleZh: '《中华人民共和国个人信息保护法》',
      articleZh: '第十三条第一款第（三）项',
    });
    expect(pending.legalBasis).toContain('为履行法定职责或者法定义务所必需');
    expect(await ledgerSize()).toBe(before + 1);
    // Pending grants do not count: a consumer asking now gets nothing.
    expect((await sharing().listPendingGrants(supervisor)).map((g) => g.id)).toContain(pending.id);
    expect((await sharing().listPendingGrants(police)).map((g) => g.id)).not.toContain(pending.id);

    // Not the author (even when the author is a supervisor too), not the provider's officer, not a stranger.
    expect(await rejection(sharing().approveGrant(health, pending.id))).toBe('FORBIDDEN');
    expect(await rejection(sharing().approveGrant(police, pending.id))).toBe('NOT_FOUND');
    expect(await rejection(request(supervisor, { ...birth, legalBasisCode: 'pipl-34' }))).toBe('FORBIDDEN'); // a supervisor does not request grants
    const approved = await sharing().approveGrant(supervisor, pending.id);
    expect(approved).toMatchObject({ status: 'active', decidedBy: supervisor.accountId });
    expect(await rejection(sharing().approveGrant(supervisor, pending.id))).toBe('GRANT_NOT_PENDING');
    expect(await rejection(sharing().refuseGrant(supervisor, pending.id, '无'))).toBe('GRANT_NOT_PENDING');
    expect(await ledgerSize()).toBe(before + 2);

    const refused = await request(health, { ...birth, legalBasisCode: 'dsl-38' });
    expect(await rejection(sharing().refuseGrant(supervisor, refused.id, '  '))).toBe('VALIDATION_FAILED');
    expect(await sharing().refuseGrant(supervisor, refused.id, '银行开户不属于法定职责')).toMatchObject({
      status: 'refused',
      decisionNote: '银行开户不属于法定职责',
    });
    expect(await ledgerSize()).toBe(before + 4);
    expect((await sharing().listPendingGrants(supervisor)).map((g) => g.id)).not.toContain(refused.id);
  });

  it('refuses the author of a grant who is also a supervisor over it', async () => {
    const dual = await ctx.newStaff('department_officer', ctx.departments.health!);
    await ctx.services.identityAdmin.ensureStaff({
      username: dual.username,
      name: '双职',
      password: PASSWORD,
      roles: [{ role: 'supervisor', orgCode: '130123' }],
    });
    const relogged = await ctx.login({ kind: 'staff', username: dual.username, password: PASSWORD, channel: 'web' });
    const own = await request(relogged, {
      datasetCode: 'health.birth_record',
      fields: ['childName'],
      consentRequired: false,
      legalBasisCode: 'pipl-13-1-3',
    });
    expect(own.status).toBe('pending_approval');
    expect(await rejection(sharing().approveGrant(relogged, own.id))).toBe('SELF_APPROVAL');
    expect((await sharing().approveGrant(supervisor, own.id)).status).toBe('active');
  });

  it('refuses without a grant covering the fields and purpose, writing nothing', async () => {
    const { caseId } = await residentWithCase();
    const before = await ledgerSize();
    const ask = (fields: string[], purpose = 'birth.household_registration') =>
      rejection(
        sharing().requestExchange(police, { requestKey: requestKey(), datasetCode: 'health.vaccination', fields, purpose, caseId }),
      );
    expect(await ask(['vaccinationCardNo'])).toBe('GRANT_REQUIRED');

    const narrow = await grant(health, {
      datasetCode: 'health.vaccination',
      fields: ['vaccinationCardNo'],
      consentRequired: false,
      validUntil: new Date(Date.now() + offsetMs + 60_000),
    });
    expect(await ask(['vaccinationCardNo', 'doses'])).toBe('GRANT_REQUIRED'); // a field the grant does not cover
    expect(await ask(['vaccinationCardNo'], 'birth.medical_insurance')).toBe('GRANT_REQUIRED'); // another purpose
    expect(await ask(['nonsense'])).toBe('UNKNOWN_FIELD');
    offsetMs += 120_000; // the grant has expired
    try {
      expect(await ask(['vaccinationCardNo'])).toBe('GRANT_REQUIRED');
    } finally {
      offsetMs -= 120_000;
    }
    await sharing().revokeGrant(health, narrow.id);
    expect(await ask(['vaccinationCardNo'])).toBe('GRANT_REQUIRED'); // revoked
    expect(await exchangesOfCase(caseId)).toBe(0);
    // The waived-consent grant's request and approval are on the ledger; no exchange is.
    expect(await ledgerSize()).toBe(before + 2);
  });

  it('fetches nothing before consent, then exactly the consented fields, with one ledger leaf without personal data', async () => {
    const { resident, caseId } = await residentWithCase('孙梅');
    await grant(civil);
    const input = {
      requestKey: requestKey(),
      datasetCode: 'civil.marriage_record',
      fields: ['spouseName', 'maritalStatus'],
      purpose: 'birth.household_registration',
      caseId,
    };
    const before = await ledgerSize();

    const pending = await sharing().requestExchange(police, input);
    expect(pending.exchange.status).toBe('pending_consent');
    expect(pending.data).toBeUndefined();
    expect((await sharing().requestExchange(police, input)).data).toBeUndefined(); // a retry before consent
    expect(await ledgerSize()).toBe(before);

    const consents = await sharing().listMyConsents(resident);
    expect(consents).toHaveLength(1);
    expect(consents[0]).toMatchObject({
      id: pending.exchange.id,
      purpose: 'birth.household_registration',
      caseId,
      consumer: { code: ctx.departments.public_security },
    });
    expect(consents[0]!.consumer.name).toBe('正定县公安局');
    expect(consents[0]!.fields.map((f) => f.labelZh)).toEqual(['婚姻状况', '配偶姓名']);

    const other = await ctx.newResident();
    expect(await rejection(sharing().decideConsent(other, pending.exchange.id, 'approve'))).toBe('NOT_FOUND');
    expect(await rejection(sharing().decideConsent(police, pending.exchange.id, 'approve'))).toBe('FORBIDDEN');
    expect((await sharing().decideConsent(resident, pending.exchange.id, 'approve')).status).toBe('approved');
    expect(await ledgerSize()).toBe(before); // consent alone fetches nothing

    const done = await sharing().requestExchange(police, input);
    expect(done.exchange).toMatchObject({ id: pending.exchange.id, status: 'completed' });
    expect(done.data).toEqual({ maritalStatus: '已婚', spouseName: '钱进' });
    expect(await ledgerSize()).toBe(before + 1);

    const [row] = await ctx.database.db.select().from(sharingExchanges).where(eq(sharingExchanges.id, pending.exchange.id));
    const entry = await ctx.services.ledger.getEntry(await ctx.services.ledger.waitForIndex(row!.ledgerEntryId!));
    expect(entry.kind).toBe('exchange');
    const text = Buffer.from(entry.data).toString('utf8');
    for (const secret of [
      '孙梅',
      '钱进',
      '已婚',
      resident.residentId,
      resident.residentId.slice(0, 14),
      resident.phone,
      resident.accountId,
    ]) {
      expect(text).not.toContain(secret);
    }
    const leaf = JSON.parse(text) as Record<string, unknown>;
    expect(leaf).toMatchObject({
      kind: 'exchange',
      id: row!.id,
      case: caseId,
      dataset: 'civil.marriage_record',
      fields: ['maritalStatus', 'spouseName'],
      consent: 'given',
    });
    expect(leaf.subject).toBe(saltedDigest(row!.salt, resident.accountId));
    expect(leaf.response).toBe(row!.responseDigest);

    // A retry after completion: the same exchange, no second leaf.
    const again = await sharing().requestExchange(police, input);
    expect(again).toMatchObject({ replayed: true, exchange: { id: row!.id }, data: done.data });
    expect(await ledgerSize()).toBe(before + 1);
    expect(await exchangesOfCase(caseId)).toBe(1);
    expect(await rejection(sharing().requestExchange(police, { ...input, fields: ['certificateNo'] }))).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('fetches nothing after a decline', async () => {
    const { resident, caseId } = await residentWithCase();
    await grant(civil);
    const input = {
      requestKey: requestKey(),
      datasetCode: 'civil.marriage_record',
      fields: ['maritalStatus'],
      purpose: 'birth.household_registration',
      caseId,
    };
    const before = await ledgerSize();
    const pending = await sharing().requestExchange(police, input);
    expect((await sharing().decideConsent(resident, pending.exchange.id, 'decline')).status).toBe('declined');
    const retried = await sharing().requestExchange(police, input);
    expect(retried.exchange.status).toBe('declined');
    expect(retried.data).toBeUndefined();
    expect(await rejection(sharing().decideConsent(resident, pending.exchange.id, 'approve'))).toBe('EXCHANGE_NOT_PENDING');
    expect(await ledgerSize()).toBe(before);
    const [row] = await ctx.database.db.select().from(sharingExchanges).where(eq(sharingExchanges.id, pending.exchange.id));
    expect(row).toMatchObject({ responseDigest: null, ledgerEntryId: null, completedAt: null });
  });

  it('exchanges at once under a law-based grant, once per request key even when retried concurrently', async () => {
    const { caseId } = await residentWithCase();
    await grant(health, {
      datasetCode: 'health.birth_record',
      fields: ['childName', 'birthTime', 'certificateNo'],
      consentRequired: false,
    });
    const before = await ledgerSize();
    const input = {
      requestKey: requestKey(),
      datasetCode: 'health.birth_record',
      fields: ['childName', 'certificateNo'],
      purpose: 'birth.household_registration',
      caseId,
    };
    const results = await Promise.all([
      sharing().requestExchange(police, input),
      sharing().requestExchange(police, input),
      sharing().requestExchange(police, input),
    ]);
    expect(new Set(results.map((r) => r.exchange.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results) expect(r.data).toEqual({ childName: '钱小宝', certificateNo: 'O1301239' });
    expect(results[0].exchange).toMatchObject({ status: 'completed', consentRequired: false });
    expect(await ledgerSize()).toBe(before + 1);
    expect(await exchangesOfCase(caseId)).toBe(1);
  });

  it('answers a resident without a record with null data, still on the ledger', async () => {
    const resident = await ctx.newResident();
    const { case: kase } = await ctx.services.applications.submit(resident, {
      serviceCode: 'birth.household_registration',
      form: { childName: '周小', householdHead: '周大' },
    });
    await grant(health, { datasetCode: 'health.birth_record', fields: ['childName'], consentRequired: false });
    const before = await ledgerSize();
    const result = await sharing().requestExchange(police, {
      requestKey: requestKey(),
      datasetCode: 'health.birth_record',
      fields: ['childName'],
      purpose: 'birth.household_registration',
      caseId: kase.id,
    });
    expect(result.data).toBeNull();
    expect(await ledgerSize()).toBe(before + 1);
  });

  it('fails clearly when an external provider does not answer, writing nothing', async () => {
    const { caseId } = await residentWithCase();
    await admin().upsertDatasets([
      {
        code: 'test.external',
        providerOrgCode: ctx.departments.health!,
        nameZh: '外部数据',
        nameEn: 'External data',
        fields: [{ name: 'x', labelZh: 'X', labelEn: 'X', sensitivity: 'low' }],
        legalBasis: '测试',
        provider: {
          kind: 'external',
          baseUrl: 'http://127.0.0.1:9',
          keyId: 'k1',
          publicKey: publicKeyPem(generateKeyPairSync('ed25519').publicKey),
          attempts: 2,
          timeoutMs: 500,
        },
      },
    ]);
    await grant(health, { datasetCode: 'test.external', fields: ['x'], consentRequired: false });
    const before = await ledgerSize();
    expect(
      await rejection(
        sharing().requestExchange(police, {
          requestKey: requestKey(),
          datasetCode: 'test.external',
          fields: ['x'],
          purpose: 'birth.household_registration',
          caseId,
        }),
      ),
    ).toBe('DEPARTMENT_UNAVAILABLE');
    expect(await exchangesOfCase(caseId)).toBe(0);
    expect(await ledgerSize()).toBe(before);
  });

  it('pins an SM2 department key (SPKI PEM) as an Ed25519 one, and refuses a key of another algorithm or no key', async () => {
    await admin().upsertDatasets([
      {
        code: 'test.pinned',
        providerOrgCode: ctx.departments.health!,
        nameZh: '外部数据',
        nameEn: 'External data',
        fields: [{ name: 'x', labelZh: 'X', labelEn: 'X', sensitivity: 'low' }],
        legalBasis: '测试',
        provider: { kind: 'internal' },
      },
    ]);
    const external = (publicKey: string) => ({ kind: 'external' as const, baseUrl: 'http://127.0.0.1:9', keyId: 'k1', publicKey });
    const sm2 = publicKeyToPem(encodeSpki('SM2', sm2GenerateKeyPair().publicKey));
    await admin().setProvider('test.pinned', external(sm2));
    await admin().setProvider('test.pinned', external(publicKeyPem(generateKeyPairSync('ed25519').publicKey)));
    const p256 = publicKeyPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const refused = await admin()
      .setProvider('test.pinned', external(p256))
      .then(
        () => null,
        (e: unknown) => e,
      );
    if (!(refused instanceof AppError)) throw new Error(`expected an AppError, got ${String(refused)}`);
    expect(refused.code).toBe('DEPARTMENT_RESPONSE_INVALID');
    expect(formatMessage(refused.code, refused.params, 'en')).toContain('the pinned department key must be Ed25519 or SM2');
    expect(await rejection(admin().setProvider('test.pinned', external('not a key')))).toBe('DEPARTMENT_RESPONSE_INVALID');
    // The platform's SM2 sharing key, as an SM2 department configures its trust.
    const platformSm2 = admin().sharingPublicKey('sm2');
    expect(platformSm2.keyId).toMatch(/^yiban-sharing-[0-9a-f]{16}$/);
    expect(platformSm2.keyId).not.toBe(admin().sharingPublicKey().keyId);
    expect(platformSm2.publicKeyPem).toContain('BEGIN PUBLIC KEY');
  });

  it('keeps requests to the staff of the case org', async () => {
    const { resident, caseId } = await residentWithCase();
    await grant(civil);
    const input = {
      requestKey: requestKey(),
      datasetCode: 'civil.marriage_record',
      fields: ['maritalStatus'],
      purpose: 'birth.household_registration',
      caseId,
    };
    const hr = await ctx.newStaff('department_officer', ctx.departments.human_resources!);
    expect(await rejection(sharing().requestExchange(hr, input))).toBe('NOT_FOUND'); // cannot see the case
    expect(await rejection(sharing().requestExchange(resident, input))).toBe('FORBIDDEN');
    expect(await rejection(sharing().requestExchange(police, { ...input, caseId: 'not-a-case' }))).toBe('NOT_FOUND');
    expect(await rejection(sharing().requestExchange(police, { ...input, requestKey: 'short' }))).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(await exchangesOfCase(caseId)).toBe(0);
    const made = await sharing().requestExchange(police, input);
    expect((await sharing().getExchange(police, made.exchange.id)).id).toBe(made.exchange.id);
    expect((await sharing().getExchange(resident, made.exchange.id)).id).toBe(made.exchange.id);
    expect(await rejection(sharing().getExchange(hr, made.exchange.id))).toBe('NOT_FOUND');
    expect(await rejection(sharing().getExchange(await ctx.newResident(), made.exchange.id))).toBe('NOT_FOUND');
  });

  it('shows each resident exactly the exchanges about them: who, when, which fields, which case', async () => {
    await grant(civil);
    await grant(health, { datasetCode: 'health.birth_record', fields: ['childName', 'birthTime'], consentRequired: false });
    const a = await residentWithCase();
    const b = await residentWithCase();
    const ask = (caseId: string, datasetCode: string, fields: string[]) =>
      sharing().requestExchange(police, { requestKey: requestKey(), datasetCode, fields, purpose: 'birth.household_registration', caseId });
    const a1 = await ask(a.caseId, 'health.birth_record', ['childName']);
    const a2 = await ask(a.caseId, 'civil.marriage_record', ['maritalStatus']);
    const b1 = await ask(b.caseId, 'health.birth_record', ['birthTime']);

    const mine = await sharing().listMyExchanges(a.resident);
    expect(mine.items.map((e) => e.id).sort()).toEqual([a1.exchange.id, a2.exchange.id].sort());
    const completed = mine.items.find((e) => e.id === a1.exchange.id)!;
    expect(completed).toMatchObject({
      status: 'completed',
      caseId: a.caseId,
      consumer: { name: '正定县公安局' },
      provider: { name: '正定县卫生健康局' },
      purpose: 'birth.household_registration',
    });
    expect(completed.fields.map((f) => f.name)).toEqual(['childName']);
    expect(completed.completedAt).not.toBeNull();
    expect(mine.items.find((e) => e.id === a2.exchange.id)?.status).toBe('pending_consent');

    const theirs = await sharing().listMyExchanges(b.resident);
    expect(theirs.items.map((e) => e.id)).toEqual([b1.exchange.id]);
    expect(await sharing().listMyConsents(b.resident)).toEqual([]);

    const first = await sharing().listMyExchanges(a.resident, { limit: 1 });
    expect(first.items).toHaveLength(1);
    const second = await sharing().listMyExchanges(a.resident, { limit: 1, after: first.next! });
    expect([...first.items, ...second.items].map((e) => e.id).sort()).toEqual(mine.items.map((e) => e.id).sort());
    expect(second.next).toBeNull();
    expect(await rejection(sharing().listMyExchanges(police))).toBe('FORBIDDEN');
  });
});
