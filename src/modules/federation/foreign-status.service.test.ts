import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VILLAGE } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { HEBEI, startFederation, type FederationNode as Node, type TestFederation } from '../../../test/federation-fixtures.ts';
import type { Principal } from '../identity/index.ts';
import { STATUS_KEY_OWNER } from '../certificates/index.ts';
import type { CertificateBundle } from '../../verify/bundle.ts';
import { signStatusListCredential, statusEvidenceFromCredentials, type StatusListCredential } from '../../verify/status-credential.ts';
import { parsePayload } from '../../verify/document.ts';
import { verifyCertificate, type TrustAnchors } from '../../verify/verify-certificate.ts';
import { encodeStatusList } from '../../verify/status-list.ts';
import { generateKeyPair, sign } from '../../verify/signatures.ts';

/** The cache's default TTL (foreign-status.ts), and a little more. */
const PAST_TTL = 61_000;
/** Longer than Hebei's lists are valid (6 h by default). */
const PAST_VALIDITY = 7 * 3_600_000;
/** The fetch limit (2 s) and room for a loaded machine; a hanging issuer must not hold a verification longer. */
const WAIT_LIMIT_MS = 4500;

type Mode = 'pass' | 'hang' | 'forge-unknown-key' | 'forge-other-member';

interface Answer {
  verdict: string;
  checks: { check: string; result: string; reason?: string; detail?: string; message?: { zh: string; en: string } }[];
}

describe.each(testEngines())('a Hebei certificate’s status at Guangxi’s verifier (%s)', (engine) => {
  let hebei: Node;
  let guangxi: Node;
  let reviewer: Principal;
  // Guangxi's clock runs ahead on demand (the cache's TTL and the lists' validity), and its requests for lists can be forged or held.
  let skewMs = 0;
  let mode: Mode = 'pass';
  let listRequests = 0;
  /** Each list as Guangxi last fetched it from Hebei. */
  const fetched = new Map<string, unknown>();

  async function forged(url: string): Promise<StatusListCredential> {
    const genuine = (await (await fetch(url)).json()) as StatusListCredential;
    const { proof, ...document } = genuine;
    // Nothing revoked or suspended: what a forger would want a revoked certificate to show.
    const unsigned = {
      ...document,
      credentialSubject: { ...document.credentialSubject, encodedList: await encodeStatusList([], 131_072) },
    };
    if (mode === 'forge-unknown-key') {
      const key = generateKeyPair('SM2');
      return signStatusListCredential(
        unsigned,
        { verificationMethod: proof.verificationMethod, sign: (m) => sign('SM2', key.privateKey, m) },
        new Date(),
      );
    }
    // Signed by a status key the trust list does name, Guangxi's own, which is not Hebei's to speak for.
    const other = await guangxi.ctx.services.keys.ensureSealKey(STATUS_KEY_OWNER);
    return signStatusListCredential(
      unsigned,
      { verificationMethod: `${guangxi.url}/api/trust#${other.keyId}`, sign: (m) => other.sign(m) },
      new Date(),
    );
  }

  const guangxiFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    // Guangxi's join request goes out before `hebei` is set.
    if (!hebei || !url.startsWith(`${hebei.url}/api/status-lists/`)) return fetch(input, init);
    listRequests += 1;
    if (mode === 'hang')
      return new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal;
        signal?.addEventListener('abort', () => reject(signal.reason as Error));
      });
    if (mode === 'pass') {
      const response = await fetch(input, init);
      if (response.ok) fetched.set(url, await response.clone().json());
      return response;
    }
    return Response.json(await forged(url));
  };

  let federation: TestFederation;
  beforeAll(async () => {
    federation = await startFederation(engine, {
      guangxi: { clock: () => new Date(Date.now() + skewMs), federationFetch: guangxiFetch },
    });
    ({ hebei, guangxi } = federation);
    reviewer = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
  }, 120_000);

  // Hebei's server may have been closed by the last test already: closing it again is harmless.
  afterAll(() => federation?.close());

  /** A residence certificate issued in Hebei, on Hebei's ledger, as its holder's wallet has it. */
  async function hebeiCertificate(name: string): Promise<{ id: string; bundle: CertificateBundle }> {
    const resident = await hebei.ctx.newResident({ name });
    const { case: c } = await hebei.ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await hebei.ctx.services.applications.act(reviewer, c.id, 'approve');
    await hebei.ctx.services.ledger.sequenceNow();
    const cert = await hebei.ctx.services.certificates.getByCase(resident, c.id);
    return { id: cert.id, bundle: await hebei.ctx.services.certificates.bundle(resident, cert.id, ['holderName']) };
  }

  async function atGuangxi(bundle: CertificateBundle): Promise<Answer & { status: Answer['checks'][number] }> {
    const response = await guangxi.app.inject({ method: 'POST', url: '/api/verify', payload: { bundle } });
    expect(response.statusCode).toBe(200);
    const answer = response.json<Answer>();
    return { ...answer, status: answer.checks.find((c) => c.check === 'status')! };
  }

  let revoked: { id: string; bundle: CertificateBundle };
  let kept: { id: string; bundle: CertificateBundle };

  it('answers VALID from Hebei’s signed lists, its inclusion proof checked with Hebei’s log key, and asks Hebei once per TTL', async () => {
    revoked = await hebeiCertificate('李娜');
    kept = await hebeiCertificate('王芳');
    expect(revoked.bundle.ledger).toBeDefined();
    const first = await atGuangxi(revoked.bundle);
    expect(first).toMatchObject({ verdict: 'VALID' });
    expect(first.status).toMatchObject({ result: 'pass' });
    expect(first.status.detail).toMatch(/lists valid until/);
    expect(first.checks.find((c) => c.check === 'ledger')).toMatchObject({ result: 'pass' });
    expect(listRequests).toBe(2);
    // Both certificates name the same list: one pair of requests served both.
    expect((await atGuangxi(kept.bundle)).verdict).toBe('VALID');
    expect(listRequests).toBe(2);
  });

  it('answers REVOKED and SUSPENDED once the cache’s TTL has passed after Hebei changes a status, and VALID again on reinstating', async () => {
    await hebei.ctx.services.certificates.changeStatus(reviewer, revoked.id, 'revoked', '信息有误');
    await hebei.ctx.services.certificates.changeStatus(reviewer, kept.id, 'suspended', '核实居住信息');
    // Within the TTL Guangxi still has the lists it fetched.
    expect((await atGuangxi(revoked.bundle)).verdict).toBe('VALID');
    expect(listRequests).toBe(2);

    skewMs += PAST_TTL;
    const now = await atGuangxi(revoked.bundle);
    expect(now.verdict).toBe('INVALID');
    expect(now.status).toMatchObject({ result: 'fail', reason: 'REVOKED', message: { zh: '证明已被撤销' } });
    expect((await atGuangxi(kept.bundle)).status).toMatchObject({ result: 'fail', reason: 'SUSPENDED' });
    expect(listRequests).toBe(4);

    await hebei.ctx.services.certificates.changeStatus(reviewer, kept.id, 'active', '核实无误');
    skewMs += PAST_TTL;
    expect((await atGuangxi(kept.bundle)).verdict).toBe('VALID');
  });

  it('refuses a forged list: signed by a key the trust list does not name, or by another member’s status key', async () => {
    for (const forgery of ['forge-unknown-key', 'forge-other-member'] as const) {
      mode = forgery;
      skewMs += PAST_TTL;
      const before = listRequests;
      const answer = await atGuangxi(revoked.bundle);
      expect(listRequests).toBeGreaterThan(before);
      // The forged lists show nothing revoked: refused, the answer is not VALID.
      expect(answer.verdict).toBe('INDETERMINATE');
      expect(answer.status).toMatchObject({ result: 'unknown', reason: 'STATUS_LIST_UNTRUSTED' });
    }
    mode = 'pass';
    expect((await atGuangxi(revoked.bundle)).status).toMatchObject({ reason: 'REVOKED' });
  });

  /** The verify page's request to its own node (Guangxi) for a list a certificate names. */
  const throughGuangxi = (list: string, purpose = 'revocation', lang = 'zh-CN') =>
    guangxi.app.inject({
      method: 'GET',
      url: `/api/federation/status-lists/${purpose}?list=${encodeURIComponent(list)}`,
      headers: { 'accept-language': lang },
    });

  it('serves Hebei’s signed lists at Guangxi as fetched, which the page checks against the trust list it pins', async () => {
    const list = parsePayload(revoked.bundle.payload)!.status.list;
    expect(list.startsWith(`${hebei.url}/api/status-lists/`)).toBe(true);
    skewMs += PAST_TTL;
    const before = listRequests;
    const credentials = [];
    const hebeiTrust = (await hebei.app.inject({ method: 'GET', url: '/api/trust' })).json<TrustAnchors>();
    for (const purpose of ['revocation', 'suspension']) {
      const response = await throughGuangxi(list, purpose);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(fetched.get(`${list}/${purpose}`));
      expect(response.json()).toMatchObject({ id: `${list}/${purpose}` });
      expect(response.headers['yiban-issuer']).toBe(HEBEI);
      expect(response.headers['yiban-issuer-log-vkey']).toBe(hebeiTrust.ledger?.vkey);
      credentials.push(response.json());
    }
    // Fetched once for both purposes, kept within the TTL.
    expect(listRequests).toBe(before + 2);
    const trust = (await guangxi.app.inject({ method: 'GET', url: '/api/trust' })).json<TrustAnchors>();
    const evidence = await statusEvidenceFromCredentials(revoked.bundle.payload, credentials, trust);
    expect(evidence.problems).toEqual([]);
    // The page checks the inclusion proof with the issuer's log key the node named, as POST /api/verify does.
    const page = { ...trust, ledger: { vkey: hebeiTrust.ledger!.vkey } };
    expect(verifyCertificate(revoked.bundle, page, { status: evidence }).checks.find((c) => c.check === 'status')).toMatchObject({
      reason: 'REVOKED',
    });
    expect(verifyCertificate(kept.bundle, page, { status: evidence }).verdict).toBe('VALID');
  });

  it('answers 502 for a list the issuer serves that does not pass the check (a forged signature), in Chinese and English, and serves it again once genuine', async () => {
    const list = parsePayload(revoked.bundle.payload)!.status.list;
    mode = 'forge-unknown-key';
    skewMs += PAST_TTL;
    try {
      const zh = await throughGuangxi(list);
      expect(zh.statusCode).toBe(502);
      expect(zh.json()).toMatchObject({
        error: { code: 'FOREIGN_STATUS_LIST_REFUSED', message: expect.stringContaining('状态列表未通过核验') as string },
      });
      expect(zh.json<{ error: { message: string } }>().error.message).toContain(HEBEI);
      const en = await throughGuangxi(list, 'revocation', 'en');
      expect(en.statusCode).toBe(502);
      expect(en.json()).toMatchObject({
        error: { code: 'FOREIGN_STATUS_LIST_REFUSED', message: expect.stringContaining('did not pass the check') as string },
      });
    } finally {
      mode = 'pass';
    }
    // A refused list is not kept: the genuine one is served at once.
    const genuine = await throughGuangxi(list);
    expect(genuine.statusCode).toBe(200);
    expect(genuine.json()).toMatchObject({ id: `${list}/revocation` });
  });

  it('answers 404 for a list no other member publishes, this node’s own included, and 400 for another purpose or a list that is no URL', async () => {
    const own = `${guangxi.url}/api/status-lists/1`;
    for (const list of ['http://127.0.0.1:9/api/status-lists/1', own, `${hebei.url}/api/status-lists/1/../2`, `${hebei.url}/api/trust`]) {
      const response = await throughGuangxi(list);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({
        error: { code: 'FOREIGN_STATUS_LIST_NOT_FOUND', message: expect.stringContaining('状态列表') as string },
      });
    }
    const en = await throughGuangxi(own, 'revocation', 'en');
    expect(en.json<{ error: { message: string } }>().error.message).toMatch(/No member in the federation directory publishes/);
    const list = parsePayload(revoked.bundle.payload)!.status.list;
    expect((await throughGuangxi(list, 'other')).statusCode).toBe(400);
    expect((await throughGuangxi('not a list address')).statusCode).toBe(400);
  });

  it('with Hebei not answering: the cached lists while they are valid, then INDETERMINATE with the reason, never waiting past the timeout', async () => {
    mode = 'hang';
    skewMs += PAST_TTL;
    let started = Date.now();
    const before = listRequests;
    const cached = await atGuangxi(kept.bundle);
    expect(Date.now() - started).toBeLessThan(WAIT_LIMIT_MS);
    expect(listRequests).toBeGreaterThan(before);
    expect(cached.verdict).toBe('VALID');

    // Hebei is not asked again at once: the next answer does not wait at all.
    const asked = listRequests;
    expect((await atGuangxi(revoked.bundle)).status).toMatchObject({ reason: 'REVOKED' });
    expect(listRequests).toBe(asked);

    // Past the lists' validity nothing valid is cached.
    skewMs += PAST_VALIDITY;
    started = Date.now();
    const stale = await atGuangxi(kept.bundle);
    expect(Date.now() - started).toBeLessThan(WAIT_LIMIT_MS);
    expect(stale.verdict).toBe('INDETERMINATE');
    expect(stale.status).toMatchObject({
      result: 'unknown',
      reason: 'STATUS_ISSUER_UNREACHABLE',
      message: {
        zh: expect.stringContaining('签发地平台暂时无法连接') as string,
        en: expect.stringContaining('cannot be reached') as string,
      },
    });
    expect(stale.status.detail).toContain(HEBEI);
    expect(stale.status.detail).toMatch(/cached list expired/);

    // Hebei's process gone (connection refused) rather than hanging: the same answer.
    mode = 'pass';
    await hebei.app.close();
    skewMs += 31_000;
    const gone = await atGuangxi(revoked.bundle);
    expect(gone.verdict).toBe('INDETERMINATE');
    expect(gone.status).toMatchObject({ reason: 'STATUS_ISSUER_UNREACHABLE' });
    // The seal still verifies under the national root: only the status is unknown.
    expect(gone.checks.find((c) => c.check === 'issuer')).toMatchObject({ result: 'pass' });

    // The page's request through Guangxi: nothing valid kept, Hebei gone.
    const through = await throughGuangxi(parsePayload(revoked.bundle.payload)!.status.list, 'suspension', 'en');
    expect(through.statusCode).toBe(503);
    expect(through.json()).toMatchObject({
      error: { code: 'FOREIGN_STATUS_ISSUER_UNREACHABLE', message: expect.stringContaining(HEBEI) as string },
    });
  });
});
