import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/errors.ts';
import { createTestContext, VILLAGE, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { fieldDigest, issuanceLeaf, parsePayload, type CertificateDocument } from '../../verify/document.ts';
import { parseIdentifier } from '../../verify/identifier.ts';
import { verify } from '../../verify/signatures.ts';
import { verifyLedgerInclusion } from '../../verify/ledger.ts';
import { decodeStatusList, encodeStatusList, isBitSet } from '../../verify/status-list.ts';
import { certificates } from './certificates.tables.ts';
import { STATUS_LIST_SIZE } from './certificates.service.ts';

const residence = {
  serviceCode: 'cert.residence',
  form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
};

describe.each(testEngines())('certificates on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function approvedCase() {
    const resident = await ctx.newResident({ name: '王芳' });
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    const decided = await ctx.services.applications.act(reviewer, c.id, 'approve');
    return { resident, reviewer, caseId: c.id, decided };
  }

  it('has no seed method: certificate types are loaded and listed by functions of the database (certificate-types.seed.ts)', () => {
    for (const name of ['listTypes', 'upsertTypes', 'upsertCertificateTypes']) expect(ctx.services.certificates).not.toHaveProperty(name);
  });

  it('issues one sealed certificate on approval, completes the case, and puts it on the ledger', async () => {
    const { resident, caseId, decided } = await approvedCase();
    expect(decided.state).toBe('completed');
    const cert = await ctx.services.certificates.getByCase(resident, caseId);
    expect(cert.status).toBe('active');
    expect(cert.issuer.name).toBe('塔元庄村民委员会');
    expect(cert.holder).toEqual({ name: '王芳', residentIdMasked: expect.stringMatching(/^130123\*{8}\d{3}[\dX]$/) as string });
    expect(cert.fields.map((f) => f.name)).toEqual(['holderName', 'residentIdMasked', 'address', 'residentSince', 'purpose']);
    expect(cert.fields.find((f) => f.name === 'purpose')?.value).toBe('子女入学');
    const parsed = parseIdentifier(cert.identifier);
    expect(parsed.ok && parsed.parts.issuerCode).toBe('54130123C231002428');

    const doc = await ctx.services.certificates.document(resident, cert.id);
    const payload = parsePayload(doc.payload)!;
    expect(payload.alg).toBe('SM2');
    const key = await ctx.services.keys.getPublicKey(payload.keyId);
    expect(key).not.toBeNull();
    expect(verify('SM2', key!.publicKeySpki, new TextEncoder().encode(doc.payload), Buffer.from(doc.signature, 'base64'))).toBe(true);
    expect(doc.disclosures.map(fieldDigest).sort()).toEqual(payload.fields);
    // The full ID number is signed (as a salted digest) and disclosed only to its holder.
    expect(doc.disclosures.find((d) => d.name === 'residentId')?.value).toMatch(/^130123\d{11}[\dX]$/);

    const entry = await ctx.services.ledger.getEntry(await ctx.services.ledger.waitForIndex(cert.ledgerEntryId));
    expect(Buffer.from(entry.data).toString()).toBe(issuanceLeaf(payload, doc.payload));
    expect(Buffer.from(entry.data).toString()).not.toContain('王芳');

    const detail = await ctx.services.applications.getCase(resident, caseId);
    expect(detail.events.at(-1)).toMatchObject({ action: 'complete', toState: 'completed' });
    expect(detail.events.at(-1)?.reason).toContain(cert.identifier);
  });

  it('proves inclusion against a signed checkpoint with nothing but the log key', async () => {
    const { resident, caseId } = await approvedCase();
    const cert = await ctx.services.certificates.getByCase(resident, caseId);
    const doc = await ctx.services.certificates.document(resident, cert.id);
    await ctx.services.ledger.append({ kind: 'test.padding', data: new Uint8Array([1]) });
    const index = await ctx.services.ledger.waitForIndex(cert.ledgerEntryId);
    const checkpoint = await ctx.services.ledger.latestCheckpoint();
    const proof = await ctx.services.ledger.inclusionProof(index, checkpoint.size);
    const leaf = new TextEncoder().encode(issuanceLeaf(parsePayload(doc.payload)!, doc.payload));
    const vkey = await ctx.services.ledger.vkey();
    const result = verifyLedgerInclusion({ leaf, index, proof: proof.hashes, checkpoint: checkpoint.note, logVkey: vkey });
    expect(result.status).toBe('VALID');
    const forged = verifyLedgerInclusion({
      leaf: new TextEncoder().encode('forged'),
      index,
      proof: proof.hashes,
      checkpoint: checkpoint.note,
      logVkey: vkey,
    });
    expect(forged.status).toBe('INVALID');
  });

  it('issues exactly one certificate whatever the concurrency', async () => {
    const resident = await ctx.newResident();
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, residence);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => ctx.services.applications.act(reviewer, c.id, 'approve')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rows = await ctx.database.db.select().from(certificates).where(eq(certificates.caseId, c.id));
    expect(rows).toHaveLength(1);
  });

  it('keeps certificates = ledger issuance leaves = status slots, all distinct', async () => {
    await ctx.services.ledger.sequenceNow();
    const rows = await ctx.database.db
      .select({ ledgerEntryId: certificates.ledgerEntryId, slot: certificates.statusIndex })
      .from(certificates);
    expect(rows.length).toBeGreaterThan(0);
    const indexes = await ctx.services.ledger.indexesOf(rows.map((r) => r.ledgerEntryId));
    expect(new Set(rows.map((r) => indexes.get(r.ledgerEntryId))).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.slot)).size).toBe(rows.length);
    expect(rows.every((r) => indexes.get(r.ledgerEntryId)! >= 0 && r.slot >= 0 && r.slot < STATUS_LIST_SIZE)).toBe(true);
    const leaves = await ctx.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from ledger_entries where kind = 'certificate.issued'`,
    );
    expect(leaves.rows[0]?.n).toBe(rows.length);
  });

  it('hides a certificate from everyone but its holder and the issuing side', async () => {
    const { caseId, resident } = await approvedCase();
    const cert = await ctx.services.certificates.getByCase(resident, caseId);
    const stranger = await ctx.newResident();
    const otherReviewer = await ctx.newStaff('village_reviewer', ctx.otherVillage);
    const countyAdmin = await ctx.newStaff('county_admin', '130123');
    expect(await rejection(ctx.services.certificates.get(stranger, cert.id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.certificates.get(otherReviewer, cert.id))).toBe('NOT_FOUND');
    expect(await rejection(ctx.services.certificates.changeStatus(otherReviewer, cert.id, 'revoked', 'x'))).toBe('NOT_FOUND');
    expect((await ctx.services.certificates.get(countyAdmin, cert.id)).id).toBe(cert.id);
    expect((await ctx.services.certificates.listMine(resident, {})).items.map((i) => i.id)).toContain(cert.id);
    expect((await ctx.services.certificates.listMine(stranger, {})).items).toHaveLength(0);
  });

  it('revokes with a reason, on the ledger and in the published status list', async () => {
    const { caseId, resident, reviewer } = await approvedCase();
    const cert = await ctx.services.certificates.getByCase(resident, caseId);
    expect(await rejection(ctx.services.certificates.changeStatus(reviewer, cert.id, 'revoked', '  '))).toBe('VALIDATION_FAILED');
    const suspended = await ctx.services.certificates.changeStatus(reviewer, cert.id, 'suspended', '核实居住信息');
    expect(suspended.status).toBe('suspended');
    expect((await ctx.services.certificates.changeStatus(reviewer, cert.id, 'active', '核实无误')).status).toBe('active');
    const revoked = await ctx.services.certificates.changeStatus(reviewer, cert.id, 'revoked', '信息有误');
    expect(revoked.status).toBe('revoked');
    expect(await rejection(ctx.services.certificates.changeStatus(reviewer, cert.id, 'active', 'undo'))).toBe('CONFLICT');
    const payload = parsePayload((await ctx.services.certificates.document(resident, cert.id)).payload)!;
    const bits = await decodeStatusList(
      await encodeStatusList(await ctx.services.certificates.statusListIndexes('1', 'revocation'), STATUS_LIST_SIZE),
    );
    expect(bits && isBitSet(bits, payload.status.index)).toBe(true);
    await ctx.services.ledger.sequenceNow();
    const kinds = await ctx.database.db.execute<{ kind: string }>(sql`select kind from ledger_entries order by idx desc limit 3`);
    expect(kinds.rows.map((r) => r.kind)).toEqual(['certificate.revoked', 'certificate.active', 'certificate.suspended']);
  });

  it('lets a selective view hide fields and still match the signed digests', async () => {
    const { caseId, resident } = await approvedCase();
    const cert = await ctx.services.certificates.getByCase(resident, caseId);
    const view: CertificateDocument = await ctx.services.certificates.document(resident, cert.id, ['holderName', 'purpose']);
    expect(view.disclosures.map((d) => d.name)).toEqual(['holderName', 'purpose']);
    const payload = parsePayload(view.payload)!;
    for (const d of view.disclosures) expect(payload.fields).toContain(fieldDigest(d));
    expect(payload.fields).not.toContain(fieldDigest({ ...view.disclosures[0]!, value: '李四' }));
  });
});
