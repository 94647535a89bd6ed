import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import type { Principal } from '../identity/principal.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { licenceDatasets } from './licence-datasets.ts';
import { LICENCE_LIBRARY_ORG } from './sharing.seed.ts';
import { sharingExchanges } from './sharing.tables.ts';
import { listCertificateTypes } from '../certificates/index.ts';

const DAY = 86_400_000;
let keySeq = 0;
const requestKey = () => `lic-${Date.now().toString(36)}-${keySeq++}`;
const PURPOSE = 'birth.household_registration';
const CITED = ['holderName', 'address', 'residentSince', 'identifier', 'issuedAt', 'issuerName'];

describe.each(testEngines())('the e-licence library on %s', (engine) => {
  let ctx: TestContext;
  let offsetMs = 0;
  let admin: Principal;
  let reviewer: Principal;
  let police: Principal;

  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => new Date(Date.now() + offsetMs) });
    await ctx.services.sharingAdmin.upsertDatasets(licenceDatasets(await listCertificateTypes(ctx.database.db), LICENCE_LIBRARY_ORG));
    admin = await ctx.newStaff('platform_admin', LICENCE_LIBRARY_ORG);
    reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    // One standing grant for the whole file: 公安 may cite residence proofs, with the resident's consent.
    await grant({});
    await grant({ consentRequired: false, purpose: 'birth.law_based' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const sharing = () => ctx.services.dataSharing;

  async function grant(overrides: Partial<Parameters<ReturnType<typeof sharing>['createGrant']>[1]>, by: Principal = admin) {
    const created = await sharing().createGrant(by, {
      datasetCode: 'licence.residence',
      consumerOrgCode: ctx.departments.public_security!,
      fields: CITED,
      purpose: PURPOSE,
      legalBasis: '《电子证照》GB/T 36901—36905；经本人同意共享',
      consentRequired: true,
      validUntil: new Date(Date.now() + offsetMs + 365 * DAY),
      ...(overrides.consentRequired === false ? { legalBasisCode: 'pipl-13-1-3' } : {}),
      ...overrides,
    });
    // A waived-consent grant takes effect once a provincial supervisor approves it.
    if (created.status !== 'pending_approval') return created;
    return sharing().approveGrant(await ctx.newStaff('supervisor', LICENCE_LIBRARY_ORG), created.id);
  }

  /** A resident whose village approved a residence proof through the normal path, and a case of theirs at 公安. */
  async function residentWithProof(name = '赵丽') {
    const resident = await ctx.newResident({ name });
    const { case: proofCase } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    expect((await ctx.services.applications.act(reviewer, proofCase.id, 'approve')).state).toBe('completed');
    const certificate = await ctx.services.certificates.getByCase(resident, proofCase.id);
    return { resident, certificate, caseId: await policeCase(resident) };
  }

  async function policeCase(resident: Principal) {
    const { case: kase } = await ctx.services.applications.submit(resident, {
      serviceCode: 'birth.household_registration',
      form: { childName: '钱小宝', householdHead: '钱进' },
    });
    return kase.id;
  }

  /** A consented exchange: requested, approved by the resident, collected. */
  async function consentedExchange(resident: Principal, caseId: string, key = requestKey()) {
    const input = { requestKey: key, datasetCode: 'licence.residence', fields: CITED, purpose: PURPOSE, caseId };
    const pending = await sharing().requestExchange(police, input);
    expect(pending.exchange.status).toBe('pending_consent');
    expect(pending.data).toBeUndefined();
    await sharing().decideConsent(resident, pending.exchange.id, 'approve');
    return { input, result: await sharing().requestExchange(police, input) };
  }

  const lawBased = (caseId: string) =>
    sharing().requestExchange(police, {
      requestKey: requestKey(),
      datasetCode: 'licence.residence',
      fields: CITED,
      purpose: 'birth.law_based',
      caseId,
    });
  // Entries are sequenced asynchronously: number what is queued first.
  const ledgerSize = async () => {
    await ctx.services.ledger.sequenceNow();
    return (await ctx.database.db.select({ n: count() }).from(ledgerEntries))[0]!.n;
  };

  it('publishes one dataset per certificate type, provided by the province, without the full ID number', async () => {
    const datasets = (await sharing().listDatasets(police)).filter((d) => d.code.startsWith('licence.'));
    expect(datasets.map((d) => d.code).sort()).toEqual([
      'licence.family_economic_status',
      'licence.insurance_clearing_statement',
      'licence.insurance_settlement_statement',
      'licence.kinship',
      'licence.no_criminal_record',
      'licence.residence',
    ]);
    const residence = datasets.find((d) => d.code === 'licence.residence')!;
    expect(residence).toMatchObject({ nameZh: '电子证照库：居住证明', adapter: 'licences', provider: { code: '13', name: '河北省' } });
    expect(residence.legalBasis).toContain('GB/T 36901');
    expect(residence.fields.map((f) => f.name)).toEqual([
      'holderName',
      'residentIdMasked',
      'address',
      'residentSince',
      'purpose',
      'identifier',
      'issuedAt',
      'issuerName',
    ]);
    expect(
      datasets.find((d) => d.code === 'licence.family_economic_status')!.fields.find((f) => f.name === 'annualIncome')?.sensitivity,
    ).toBe('high');
  });

  it("gives a consented exchange the certificate's fields and identifier, on the ledger and in who-used-my-data", async () => {
    const { resident, certificate, caseId } = await residentWithProof('孙梅');
    const before = await ledgerSize();
    const { result } = await consentedExchange(resident, caseId);
    expect(result.exchange).toMatchObject({ status: 'completed', dataset: { code: 'licence.residence', nameZh: '电子证照库：居住证明' } });
    expect(result.data).toEqual({
      holderName: '孙梅',
      address: '河北省石家庄市正定县正定镇塔元庄村',
      residentSince: '2015-05-01',
      identifier: certificate.identifier,
      issuedAt: certificate.issuedAt,
      issuerName: '塔元庄村民委员会',
    });
    expect(await ledgerSize()).toBe(before + 1);

    // The cited identifier is the certificate's own: it verifies as genuine and current.
    const bundle = await ctx.services.certificates.bundle(resident, certificate.id);
    const verified = await ctx.services.certificates.verify(bundle);
    expect(verified.verdict).toBe('VALID');
    expect(verified.certificate).toMatchObject({
      id: result.data!.identifier,
      issuedAt: result.data!.issuedAt,
      issuer: { name: result.data!.issuerName },
    });

    const [row] = await ctx.database.db.select().from(sharingExchanges).where(eq(sharingExchanges.id, result.exchange.id));
    const leaf = Buffer.from(
      (await ctx.services.ledger.getEntry(await ctx.services.ledger.waitForIndex(row!.ledgerEntryId!))).data,
    ).toString('utf8');
    expect(JSON.parse(leaf)).toMatchObject({ kind: 'exchange', dataset: 'licence.residence', case: caseId, consent: 'given' });
    for (const secret of ['孙梅', '塔元庄村', certificate.identifier]) expect(leaf).not.toContain(secret);

    const mine = await sharing().listMyExchanges(resident);
    expect(mine.items.find((e) => e.id === result.exchange.id)).toMatchObject({
      status: 'completed',
      caseId,
      consumer: { name: '正定县公安局' },
      provider: { code: '13', name: '河北省' },
      dataset: { nameZh: '电子证照库：居住证明' },
    });
  });

  it('gives no record once the certificate is revoked, on a replay or a new exchange', async () => {
    const { resident, certificate, caseId } = await residentWithProof();
    const first = await consentedExchange(resident, caseId);
    expect(first.result.data).toMatchObject({ identifier: certificate.identifier });

    await ctx.services.certificates.changeStatus(reviewer, certificate.id, 'revoked', '居住信息有误');
    const replayed = await sharing().requestExchange(police, first.input);
    expect(replayed).toMatchObject({ replayed: true, exchange: { id: first.result.exchange.id }, data: null });

    const before = await ledgerSize();
    const again = await consentedExchange(resident, caseId);
    expect(again.result.exchange.status).toBe('completed');
    expect(again.result.data).toBeNull();
    expect(await ledgerSize()).toBe(before + 1); // "no record" is an answer too, and on the ledger
    expect((await sharing().listMyExchanges(resident)).items.map((e) => e.id)).toContain(again.result.exchange.id);
  });

  it('gives no record while suspended, and again once reinstated', async () => {
    const { certificate, caseId } = await residentWithProof();
    await ctx.services.certificates.changeStatus(reviewer, certificate.id, 'suspended', '核查中');
    expect((await lawBased(caseId)).data).toBeNull();
    await ctx.services.certificates.changeStatus(reviewer, certificate.id, 'active', '核查无误');
    expect((await lawBased(caseId)).data).toMatchObject({ identifier: certificate.identifier });
  });

  it('gives no record once the certificate has expired', async () => {
    const { certificate, caseId } = await residentWithProof();
    expect(certificate.validUntil).not.toBeNull();
    offsetMs = new Date(certificate.validUntil!).getTime() - Date.now() + 60_000;
    try {
      expect((await lawBased(caseId)).data).toBeNull();
    } finally {
      offsetMs = 0;
    }
    expect((await lawBased(caseId)).data).toMatchObject({ identifier: certificate.identifier });
  });

  it('cites the newest current certificate, and gives no record to a person without one of the type', async () => {
    const { resident, certificate: older, caseId } = await residentWithProof();
    const { case: second } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村二组', residentSince: '2020-01-01', purpose: 'school' },
    });
    await ctx.services.applications.act(reviewer, second.id, 'approve');
    const newer = await ctx.services.certificates.getByCase(resident, second.id);
    expect((await lawBased(caseId)).data).toMatchObject({ identifier: newer.identifier, residentSince: '2020-01-01' });
    await ctx.services.certificates.changeStatus(reviewer, newer.id, 'revoked', '重复开具');
    expect((await lawBased(caseId)).data).toMatchObject({ identifier: older.identifier });

    const without = await ctx.newResident();
    // A certificate of another type is no residence proof.
    const { case: kinship } = await ctx.services.applications.submit(without, {
      serviceCode: 'cert.kinship',
      form: { relativeName: '刘建国', relation: 'parent', purpose: 'social_security' },
    });
    await ctx.services.applications.act(reviewer, kinship.id, 'approve');
    const before = await ledgerSize();
    const none = await lawBased(await policeCase(without));
    expect(none.exchange.status).toBe('completed');
    expect(none.data).toBeNull();
    expect(await ledgerSize()).toBe(before + 1);
  });

  it('takes no records written from the console: its records are the certificates issued', async () => {
    expect(await ctx.services.datasetRecords.summary(admin, 'licence.residence')).toMatchObject({ adapter: 'licences', records: 0 });
    const write = ctx.services.datasetRecords.putRecord(admin, 'licence.residence', {
      residentId: (await ctx.newResident()).residentId,
      data: { holderName: '冒名' },
    });
    expect(await rejection(write)).toBe('VALIDATION_FAILED');
  });

  it('keeps the access rules: grants from the province only, known fields, the case org only', async () => {
    const health = await ctx.newStaff('department_officer', ctx.departments.health!);
    const county = await ctx.newStaff('county_admin', '130123');
    expect(await rejection(grant({}, health))).toBe('FORBIDDEN');
    expect(await rejection(grant({}, county))).toBe('FORBIDDEN');
    expect(await rejection(grant({}, police))).toBe('FORBIDDEN');
    expect(await rejection(grant({ fields: ['holderName', 'residentId'] }))).toBe('UNKNOWN_FIELD');

    const { resident, caseId } = await residentWithProof();
    const before = await ledgerSize();
    const ask = (who: Principal, fields: string[], datasetCode = 'licence.residence') =>
      rejection(sharing().requestExchange(who, { requestKey: requestKey(), datasetCode, fields, purpose: PURPOSE, caseId }));
    expect(await ask(police, ['residentId'])).toBe('UNKNOWN_FIELD');
    expect(await ask(police, ['holderName', 'residentIdMasked'])).toBe('GRANT_REQUIRED'); // not in the grant
    expect(await ask(police, ['holderName'], 'licence.kinship')).toBe('GRANT_REQUIRED'); // no grant on that type
    expect(await ask(await ctx.newStaff('department_officer', ctx.departments.human_resources!), ['holderName'])).toBe('NOT_FOUND'); // not their case
    expect(await ask(resident, ['holderName'])).toBe('FORBIDDEN');
    expect(await ledgerSize()).toBe(before);
    const [row] = await ctx.database.db.select({ n: count() }).from(sharingExchanges).where(eq(sharingExchanges.caseId, caseId));
    expect(row?.n).toBe(0);
  });
});
