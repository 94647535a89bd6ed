import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { keyIdOf } from '../src/modules/certificates/keys/key-encryption.ts';
import { STATUS_KEY_OWNER } from '../src/modules/certificates/keys/key-names.ts';
import type { CertificateBundle } from '../src/verify/bundle.ts';
import { yibanContext } from '../src/verify/credential.ts';
import { generateKeyPair, createSigner } from '../src/verify/signatures.ts';
import { signStatusListCredential, statusEvidenceFromCredentials, type StatusListCredential } from '../src/verify/status-credential.ts';
import { encodeStatusList } from '../src/verify/status-list.ts';
import { verifyCertificate, type TrustAnchors } from '../src/verify/verify-certificate.ts';
import { buildTestApp, createTestContext, VILLAGE, type TestContext } from './factories.ts';

const HOUR = 3_600_000;

/**
 * Finding 3: status lists are signed by the platform, checked against the pinned trust list, must
 * be the list the certificate names and current; their URLs come from the configured public URL.
 * The checks are engine-independent (PGlite only).
 */
describe('signed status list credentials', () => {
  let ctx: TestContext;
  let app: App;
  let offset = 0;
  let bundle: CertificateBundle;
  let trust: TrustAnchors;
  let certId: string;
  let reviewer: Awaited<ReturnType<TestContext['newStaff']>>;
  const served = async (list = '1', purpose = 'revocation', headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'GET', url: `/api/status-lists/${list}/${purpose}`, headers });
    expect(res.statusCode).toBe(200);
    return res.json<StatusListCredential>();
  };
  const verdictWith = async (credentials: unknown[], at = new Date(Date.now() + offset)) => {
    const status = await statusEvidenceFromCredentials(bundle.payload, credentials, trust, at);
    const result = verifyCertificate(bundle, trust, { status, at });
    return { verdict: result.verdict, status: result.checks.find((c) => c.check === 'status')! };
  };

  beforeAll(async () => {
    ctx = await createTestContext('pglite', { clock: () => new Date(Date.now() + offset) });
    app = await buildTestApp(ctx);
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
    bundle = await ctx.services.certificates.bundle(resident, cert.id, ['holderName', 'address']);
    trust = (await app.inject('/api/trust')).json<TrustAnchors>();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('publishes the status key in the trust list and serves signed lists that make a fresh certificate VALID', async () => {
    expect(Object.keys(trust.statusSigners ?? {})).toHaveLength(1);
    const lists = await Promise.all([served('1', 'revocation'), served('1', 'suspension')]);
    expect(lists[0].proof).toMatchObject({
      type: 'DataIntegrityProof',
      cryptosuite: 'yiban-sm2-jcs-2026',
      proofPurpose: 'assertionMethod',
    });
    expect(Date.parse(lists[0].validUntil) - Date.parse(lists[0].validFrom)).toBe(6 * HOUR);
    const { verdict, status } = await verdictWith(lists);
    expect(status).toMatchObject({ result: 'pass' });
    expect(verdict).toBe('VALID');
    // Only the lists that exist are listed.
    const index = (await app.inject('/api/status-lists')).json<{ lists: { id: string }[] }>();
    expect(index.lists.map((l) => l.id)).toEqual(['1']);
  });

  it('takes ids and issuer from the configured public URL, never the Host header', async () => {
    const list = await served('1', 'revocation', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(JSON.stringify(list)).not.toContain('evil.example');
    expect(list.id).toBe('http://localhost:3000/api/status-lists/1/revocation');
    expect(list.issuer).toBe('http://localhost:3000');
    expect(list.credentialSubject.id).toBe('http://localhost:3000/api/status-lists/1/revocation#list');
  });

  it("serves Yiban's JSON-LD context at its versioned URL under the public URL", async () => {
    const res = await app.inject('/contexts/yiban/v1');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/ld+json');
    expect(res.json()).toEqual(yibanContext('http://localhost:3000'));
  });

  describe('once the certificate is revoked', () => {
    let genuine: StatusListCredential[];
    beforeAll(async () => {
      await ctx.services.certificates.changeStatus(reviewer, certId, 'revoked', '测试撤销');
      genuine = [await served('1', 'revocation'), await served('1', 'suspension')];
    });

    it("is INVALID (REVOKED) with the platform's lists, re-signed at once after the change", async () => {
      const { verdict, status } = await verdictWith(genuine);
      expect(status.reason).toBe('REVOKED');
      expect(verdict).toBe('INVALID');
    });

    it('is never VALID with a forged, unsigned list that clears the bit', async () => {
      const { proof: _proof, ...unsigned } = genuine[0]!;
      const cleared = {
        ...unsigned,
        credentialSubject: { ...unsigned.credentialSubject, encodedList: await encodeStatusList([], 131_072) },
      };
      const { verdict, status } = await verdictWith([cleared, genuine[1]]);
      expect(verdict).toBe('INDETERMINATE');
      expect(status.reason).toBe('STATUS_LIST_UNSIGNED');
      // The genuine proof kept on the altered list does not verify.
      const altered = await verdictWith([{ ...cleared, proof: genuine[0]!.proof }, genuine[1]]);
      expect(altered).toMatchObject({ verdict: 'INDETERMINATE', status: { reason: 'STATUS_LIST_UNTRUSTED' } });
    });

    it('is never VALID with a cleared list signed by another key, named as itself or as the platform key', async () => {
      const other = generateKeyPair('SM2');
      const signer = createSigner('SM2', other.privateKey);
      const { proof: _proof, ...unsigned } = genuine[0]!;
      const cleared = {
        ...unsigned,
        credentialSubject: { ...unsigned.credentialSubject, encodedList: await encodeStatusList([], 131_072) },
      };
      const platformKeyId = Object.keys(trust.statusSigners!)[0]!;
      for (const keyId of [keyIdOf(other.publicKeySpki), platformKeyId]) {
        const forged = await signStatusListCredential(
          cleared,
          { verificationMethod: `http://localhost:3000/api/trust#${keyId}`, sign: (m) => signer.sign(m) },
          new Date(),
        );
        const { verdict, status } = await verdictWith([forged, genuine[1]]);
        expect(verdict, keyId).toBe('INDETERMINATE');
        expect(status.reason).toBe('STATUS_LIST_UNTRUSTED');
      }
    });

    it('is never VALID with a genuinely signed list of another id or purpose', async () => {
      const key = await ctx.services.keys.ensureSealKey(STATUS_KEY_OWNER);
      const { proof: _proof, ...unsigned } = genuine[0]!;
      const base = { ...unsigned, credentialSubject: { ...unsigned.credentialSubject, encodedList: await encodeStatusList([], 131_072) } };
      const sign = (c: typeof base) =>
        signStatusListCredential(
          c,
          { verificationMethod: `http://localhost:3000/api/trust#${key.keyId}`, sign: (m) => key.sign(m) },
          new Date(),
        );
      const otherId = await sign({ ...base, id: 'http://localhost:3000/api/status-lists/2/revocation' });
      expect(await verdictWith([otherId, genuine[1]])).toMatchObject({
        verdict: 'INDETERMINATE',
        status: { reason: 'STATUS_LIST_MISMATCH' },
      });
      // The (clear) suspension list presented as the revocation list.
      const asRevocation = { ...genuine[1]!, id: genuine[0]!.id };
      expect(await verdictWith([asRevocation, genuine[1]])).toMatchObject({ verdict: 'INDETERMINATE' });
      // The control: the same key and list id with the right purpose is accepted (and says revoked).
      expect(
        (
          await verdictWith([
            await sign({
              ...base,
              credentialSubject: { ...base.credentialSubject, encodedList: genuine[0]!.credentialSubject.encodedList },
            }),
            genuine[1],
          ])
        ).verdict,
      ).toBe('INVALID');
    });

    it('is INDETERMINATE with an expired list, and the platform re-signs before expiry', async () => {
      const after = new Date(Date.parse(genuine[0]!.validUntil) + 1000);
      const { verdict, status } = await verdictWith(genuine, after);
      expect(verdict).toBe('INDETERMINATE');
      expect(status.reason).toBe('STATUS_LIST_EXPIRED');
      // Served twice within the hour: the same signed copy; an hour later, a new one.
      expect((await served()).proof.proofValue).toBe(genuine[0]!.proof.proofValue);
      offset += HOUR + 1000;
      const renewed = await served();
      expect(Date.parse(renewed.validFrom)).toBeGreaterThan(Date.parse(genuine[0]!.validFrom));
      expect((await verdictWith([renewed, await served('1', 'suspension')])).status.reason).toBe('REVOKED');
    });
  });
});
