import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, VILLAGE, type TestContext } from './factories.ts';
import { decodeQr, encodeQr, parseBundleJson, type CertificateBundle } from '../src/verify/bundle.ts';
import { createCertificateVerifier, type StatusEvidence, type TrustAnchors } from '../src/verify/verify-certificate.ts';

/**
 * A certificate verified with nothing but pinned anchors, and every single-byte change to its
 * payload, its signature and its QR text refused. Engine-independent, so PGlite only.
 */
describe('offline verification of an issued certificate', () => {
  let ctx: TestContext;
  let bundle: CertificateBundle;
  let trust: TrustAnchors;
  let status: StatusEvidence;
  let verifyWith: ReturnType<typeof createCertificateVerifier>;
  let certId: string;
  let reviewer: Awaited<ReturnType<TestContext['newStaff']>>;

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    await ctx.services.keys.ensurePlatformRoot();
    const resident = await ctx.newResident({ name: '张伟' });
    reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);
    certId = cert.id;
    await ctx.services.ledger.integrate();
    bundle = await ctx.services.certificates.bundle(resident, cert.id, ['holderName', 'residentIdMasked', 'address', 'purpose']);
    trust = await ctx.services.certificates.trustAnchors();
    status = {
      revocation: await ctx.services.certificates.statusBits('1', 'revocation'),
      suspension: await ctx.services.certificates.statusBits('1', 'suspension'),
    };
    verifyWith = createCertificateVerifier(trust);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('is VALID with the pinned anchors, the status lists and the ledger proof', () => {
    expect(bundle.ledger).toBeDefined();
    const result = verifyWith(bundle, { status, requireLedger: true });
    expect(result.checks.filter((c) => c.result !== 'pass')).toEqual([]);
    expect(result.verdict).toBe('VALID');
    expect(result.certificate?.holder.name).toBe('张伟');
    expect(result.certificate?.fields.map((f) => f.name)).toEqual(['holderName', 'residentIdMasked', 'address', 'purpose']);
  });

  it('is INDETERMINATE, never VALID, when a key, a list or a proof is missing', () => {
    expect(verifyWith(bundle).verdict).toBe('INDETERMINATE');
    expect(verifyWith({ ...bundle, ledger: undefined }, { status, requireLedger: true }).verdict).toBe('INDETERMINATE');
    const noSeal = { ...bundle, seal: undefined };
    expect(verifyWith(noSeal, { status }).verdict).toBe('INDETERMINATE');
    expect(createCertificateVerifier({ version: 1, roots: [] })(bundle, { status }).verdict).toBe('INDETERMINATE');
  });

  it('refuses every single-byte change to the signed payload', () => {
    const payload = Buffer.from(bundle.payload);
    for (let i = 0; i < payload.length; i++) {
      const changed = Buffer.from(payload);
      changed[i] = changed[i]! ^ 0x01;
      const result = verifyWith({ ...bundle, payload: changed.toString() }, { status });
      expect(result.verdict, `byte ${i}`).toBe('INVALID');
    }
  });

  it('refuses every single-byte change to the signature', () => {
    const signature = Buffer.from(bundle.signature, 'base64');
    for (let i = 0; i < signature.length; i++) {
      const changed = Buffer.from(signature);
      changed[i] = changed[i]! ^ 0x80;
      expect(verifyWith({ ...bundle, signature: changed.toString('base64') }, { status }).verdict, `byte ${i}`).toBe('INVALID');
    }
  });

  it('refuses a changed disclosure, and a revoked certificate', async () => {
    const [first, ...rest] = bundle.disclosures;
    expect(verifyWith({ ...bundle, disclosures: [{ ...first!, value: '李四' }, ...rest] }, { status }).verdict).toBe('INVALID');
    await ctx.services.certificates.changeStatus(reviewer, certId, 'revoked', '测试撤销');
    const revoked = { revocation: await ctx.services.certificates.statusBits('1', 'revocation'), suspension: status.suspension };
    const result = verifyWith(bundle, { status: revoked });
    expect(result.verdict).toBe('INVALID');
    expect(result.checks.find((c) => c.check === 'status')?.reason).toBe('REVOKED');
    await ctx.services.certificates.changeStatus(reviewer, certId, 'active', 'x').catch(() => undefined);
  });

  it('carries everything in the QR and refuses every single-character change to it', async () => {
    const qr = await encodeQr(bundle);
    expect(qr.length).toBeLessThan(2900);
    const decoded = await decodeQr(qr);
    expect(decoded && verifyWith(decoded, { status }).verdict).toBe('VALID');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 'YB1.'.length; i < qr.length; i++) {
      const ch = qr[i] === '.' ? 'A' : alphabet[(alphabet.indexOf(qr[i]!) + 1) % 64]!;
      const changed = qr.slice(0, i) + ch + qr.slice(i + 1);
      const bundleFromQr = await decodeQr(changed);
      const verdict = bundleFromQr ? verifyWith(bundleFromQr, { status }).verdict : 'INVALID';
      expect(verdict, `char ${i}`).toBe('INVALID');
    }
  });

  it('with every cache warm (seal table, checkpoint, Ed25519), a changed proof, checkpoint, key or list is never VALID', () => {
    // Enough verifications for the seal's precomputed table and the remembered checkpoint.
    for (let i = 0; i < 5; i++) expect(verifyWith(bundle, { status, requireLedger: true }).verdict).toBe('VALID');
    const ledger = bundle.ledger!;
    const withLedger = (change: Partial<NonNullable<CertificateBundle['ledger']>>) => ({ ...bundle, ledger: { ...ledger, ...change } });
    const strict = { status, requireLedger: true };
    // Another root hash in the signed text, with the old signature line.
    const [origin, size, root, ...rest] = ledger.checkpoint.split('\n');
    const otherRoot = (root!.startsWith('A') ? 'B' : 'A') + root!.slice(1);
    expect(verifyWith(withLedger({ checkpoint: [origin, size, otherRoot, ...rest].join('\n') }), strict).verdict).not.toBe('VALID');
    // A flipped character in the checkpoint's signature line.
    const sigAt = ledger.checkpoint.lastIndexOf(' ') + 10;
    const flipped = ledger.checkpoint.slice(0, sigAt) + (ledger.checkpoint[sigAt] === 'A' ? 'B' : 'A') + ledger.checkpoint.slice(sigAt + 1);
    expect(verifyWith(withLedger({ checkpoint: flipped }), strict).verdict).not.toBe('VALID');
    // Another index, a changed or missing proof hash.
    expect(verifyWith(withLedger({ index: ledger.index + 1 }), strict).verdict).not.toBe('VALID');
    if (ledger.proof.length > 0) {
      const [first, ...others] = ledger.proof;
      expect(
        verifyWith(withLedger({ proof: [(first!.startsWith('A') ? 'B' : 'A') + first!.slice(1), ...others] }), strict).verdict,
      ).not.toBe('VALID');
      expect(verifyWith(withLedger({ proof: others }), strict).verdict).not.toBe('VALID');
    }
    // Another log key pinned: the remembered checkpoint does not carry over.
    const otherVkey = createCertificateVerifier({ ...trust, ledger: { vkey: 'yiban.example+00000000+AQ==' } });
    expect(otherVkey(bundle, strict).verdict).not.toBe('VALID');
    // Lists missing.
    expect(verifyWith(bundle, { status: { revocation: status.revocation, suspension: null }, requireLedger: true }).verdict).toBe(
      'INDETERMINATE',
    );
    expect(verifyWith(bundle, { requireLedger: true }).verdict).toBe('INDETERMINATE');
    // The untouched bundle is still VALID afterwards.
    expect(verifyWith(bundle, strict).verdict).toBe('VALID');
  });

  it('reads the bundle back from JSON and never throws on garbage', () => {
    expect(parseBundleJson(JSON.stringify(bundle))).toEqual(bundle);
    for (const junk of ['', '{', 'null', '[]', '{"payload":1}', JSON.stringify({ ...bundle, disclosures: [1] })])
      expect(parseBundleJson(junk)).toBeNull();
    expect(verifyWith({ payload: '{}', signature: '', disclosures: [] }).verdict).toBe('INVALID');
    expect(verifyWith({ payload: 'x'.repeat(10), signature: '%%%', disclosures: [] }).verdict).toBe('INVALID');
  });
});
