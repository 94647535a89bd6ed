import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { freePort, newSigningKey, newSm2SigningKey, startDepartment, type RunningDepartment } from '../../../test/external-department.ts';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import { opensslDir } from '../../../test/openssl.ts';
import { AppError, formatMessage } from '../../core/errors.ts';
import type { Principal } from '../identity/principal.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { loadSigningKey, sm2VerifyingKey } from './http-signature-keys.ts';
import { signRequest } from './http-signature-sign.ts';
import { verifyResponse } from './http-signature-verify.ts';
import { contentDigest } from './http-signatures.ts';
import type { ExternalProviderConfig } from './provider-adapters.ts';
import { sharingExchanges } from './sharing.tables.ts';

const DAY = 86_400_000;
const PURPOSE = 'birth.household_registration';
const FIELDS = [
  { name: 'childName', labelZh: '新生儿姓名', labelEn: "Child's name", sensitivity: 'medium' as const },
  { name: 'hospital', labelZh: '接生机构', labelEn: 'Delivering hospital', sensitivity: 'low' as const },
];
let seq = 0;
const requestKey = () => `ext-${Date.now().toString(36)}-${seq++}`;

type ProxyMode = 'pass' | 'tamper-body' | 'tamper-body-and-digest' | 'answer-previous' | 'strip-signature';

/** A man in the middle between the platform and a department: forwards (Host kept) and alters the answer. */
async function startProxy(target: RunningDepartment): Promise<{ url: string; mode: ProxyMode; close(): Promise<void> }> {
  const state = { mode: 'pass' as ProxyMode, previous: null as { status: number; headers: IncomingHttpHeaders; body: string } | null };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = httpRequest(
        { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            let text = Buffer.concat(body).toString('utf8');
            const headers = { ...answer.headers };
            delete headers['content-length'];
            const current = { status: answer.statusCode ?? 502, headers: { ...headers }, body: text };
            let status = current.status;
            if (state.mode === 'tamper-body') text = text.replace(/"childName":"[^"]*"/, '"childName":"冒名"');
            if (state.mode === 'tamper-body-and-digest') {
              text = text.replace(/"childName":"[^"]*"/, '"childName":"冒名"');
              headers['content-digest'] = contentDigest(text);
            }
            if (state.mode === 'strip-signature') {
              delete headers.signature;
              delete headers['signature-input'];
            }
            if (state.mode === 'answer-previous' && state.previous) {
              ({ status, body: text } = state.previous);
              Object.assign(headers, state.previous.headers);
            }
            state.previous = current;
            res.writeHead(status, headers).end(text);
          });
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: ProxyMode) {
      state.mode = m;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.each(testEngines())('external provider adapter (signed HTTP, real department process) on %s', (engine) => {
  const platformKey = newSigningKey();
  const otherPlatformKey = newSigningKey();
  const platformSm2Key = newSm2SigningKey();
  const otherPlatformSm2Key = newSm2SigningKey();
  let ctx: TestContext;
  let police: Principal;
  let hospital: RunningDepartment;
  let failing: RunningDepartment;
  let slow: RunningDepartment;
  let untrusting: RunningDepartment;
  /** A department on the national algorithms: an SM2 key OpenSSL made, trusting the platform's SM2 key. */
  let sm2Hospital: RunningDepartment;
  let laterPort: number;
  let later: RunningDepartment | undefined;
  let residentId: string;
  let caseId: string;
  const records = () => [{ residentId, data: { childName: '钱小宝', hospital: '正定县人民医院' } }];

  beforeAll(async () => {
    ctx = await createTestContext(engine, {
      externalSharing: { key: platformKey, sm2Key: platformSm2Key, backoffBaseMs: 20, maxBackoffMs: 100 },
    });
    police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const resident = await ctx.newResident({ name: '钱进' });
    residentId = resident.residentId;
    caseId = (
      await ctx.services.applications.submit(resident, { serviceCode: PURPOSE, form: { childName: '钱小宝', householdHead: '钱进' } })
    ).case.id;
    const datasets = (code: string) => [{ code, records: records() }];
    // The SM2 department's key as OpenSSL 3 makes it (its own PKCS#8 and SPKI), read by our loader.
    const openssl = opensslDir();
    let opensslSm2Key;
    try {
      openssl.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'dept.key.pem']);
      openssl.run(['pkey', '-in', 'dept.key.pem', '-pubout', '-out', 'dept.pub.pem']);
      const loaded = loadSigningKey(openssl.file('dept.key.pem'), 'dept');
      if (!('alg' in loaded)) throw new Error('OpenSSL made no SM2 key');
      opensslSm2Key = { ...loaded, publicKeyPem: openssl.read('dept.pub.pem').toString('utf8') };
    } finally {
      openssl.remove();
    }
    [hospital, failing, slow, untrusting, laterPort] = await Promise.all([
      startDepartment({ name: '正定县人民医院', datasets: datasets('ext.hospital'), trust: [platformKey.publicKeyPem] }),
      startDepartment({ name: '启动中的医院', datasets: datasets('ext.failing'), trust: [platformKey.publicKeyPem], failFirst: 2 }),
      startDepartment({ name: '缓慢的医院', datasets: datasets('ext.slow'), trust: [platformKey.publicKeyPem], delayMs: 1500 }),
      startDepartment({ name: '不信任平台的医院', datasets: datasets('ext.untrusting'), trust: [otherPlatformKey.publicKeyPem] }),
      freePort(),
    ]);
    // Started after the others: five processes starting at once on a busy machine start slowly.
    sm2Hospital = await startDepartment({
      name: '国密医院',
      datasets: datasets('ext.sm2'),
      trust: [platformSm2Key.publicKeyPem],
      key: opensslSm2Key,
    });
  }, 400_000);
  afterAll(async () => {
    await Promise.all([hospital, failing, slow, untrusting, sm2Hospital, later].map((d) => d?.stop() ?? Promise.resolve()));
    await ctx?.close();
  });

  const sharing = () => ctx.services.dataSharing;
  const admin = () => ctx.services.sharingAdmin;
  // Entries are sequenced asynchronously: number what is queued first.
  const ledgerSize = async () => {
    await ctx.services.ledger.sequenceNow();
    return (await ctx.database.db.select({ n: count() }).from(ledgerEntries))[0]!.n;
  };
  const exchangesOf = async (datasetCode: string) =>
    (await ctx.database.db.select({ n: count() }).from(sharingExchanges).where(eq(sharingExchanges.datasetCode, datasetCode)))[0]!.n;

  async function publish(code: string, provider: ExternalProviderConfig) {
    await admin().upsertDatasets([
      {
        code,
        providerOrgCode: ctx.departments.health!,
        nameZh: '外部出生记录',
        nameEn: 'External birth record',
        fields: FIELDS,
        legalBasis: '《母婴保健法》',
        provider,
      },
    ]);
    await admin().ensureGrant({
      datasetCode: code,
      consumerOrgCode: ctx.departments.public_security!,
      fields: ['childName', 'hospital'],
      purpose: PURPOSE,
      legalBasis: '测试',
      legalBasisCode: 'pipl-13-1-3',
      consentRequired: false,
      validUntil: new Date(Date.now() + DAY),
    });
  }
  const ask = (datasetCode: string, key = requestKey()) =>
    sharing().requestExchange(police, { requestKey: key, datasetCode, fields: ['childName', 'hospital'], purpose: PURPOSE, caseId });
  async function failure(promise: Promise<unknown>): Promise<AppError> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
    return error;
  }

  it('completes an exchange over signed HTTP; a retry of the request is the same exchange, logged once by the department', async () => {
    await publish('ext.hospital', hospital.provider());
    const before = await ledgerSize();
    const key = requestKey();
    const first = await ask('ext.hospital', key);
    expect(first.exchange.status).toBe('completed');
    expect(first.data).toEqual({ childName: '钱小宝', hospital: '正定县人民医院' });
    const again = await ask('ext.hospital', key);
    expect(again).toMatchObject({
      replayed: true,
      data: first.data,
      exchange: { id: first.exchange.id, ledgerIndex: first.exchange.ledgerIndex },
    });
    expect(await ledgerSize()).toBe(before + 1);
    const stats = await hospital.stats();
    expect(stats.distinctRequests).toBe(1); // the retry reused the request id: the department logged it once
    expect(stats.served).toBe(2);
    expect(await exchangesOf('ext.hospital')).toBe(1);
  });

  it('waits for a department that is down, then completes once when it is up, nothing duplicated', async () => {
    const keyPair = newSigningKey('dept');
    const provider: ExternalProviderConfig = {
      kind: 'external',
      baseUrl: `http://127.0.0.1:${laterPort}`,
      keyId: keyPair.keyId,
      publicKey: keyPair.publicKeyPem,
      attempts: 3,
      timeoutMs: 1000,
    };
    await publish('ext.later', provider);
    const before = await ledgerSize();
    const key = requestKey();
    const down = await failure(ask('ext.later', key));
    expect(down.code).toBe('DEPARTMENT_UNAVAILABLE');
    expect(down.status).toBe(503);
    expect(formatMessage(down.code, down.params, 'zh-CN')).toContain('正在等待');
    expect(formatMessage(down.code, down.params, 'en')).toMatch(/^Waiting for .+ \(3 attempts\)/);
    expect(await exchangesOf('ext.later')).toBe(0);
    expect(await ledgerSize()).toBe(before);

    later = await startDepartment({
      name: '后来启动的医院',
      datasets: [{ code: 'ext.later', records: records() }],
      trust: [platformKey.publicKeyPem],
      key: keyPair,
      port: laterPort,
    });
    const done = await ask('ext.later', key);
    expect(done).toMatchObject({ replayed: false, exchange: { status: 'completed' }, data: { childName: '钱小宝' } });
    expect((await ask('ext.later', key)).exchange.id).toBe(done.exchange.id);
    expect(await exchangesOf('ext.later')).toBe(1);
    expect(await ledgerSize()).toBe(before + 1);
  }, 120_000);

  it('retries a department answering 503 with backoff, under one request id', async () => {
    await publish('ext.failing', failing.provider({ attempts: 4 }));
    const result = await ask('ext.failing');
    expect(result.exchange.status).toBe('completed');
    const stats = await failing.stats();
    expect(stats).toMatchObject({ received: 3, served: 1, distinctRequests: 1, refused: { STARTING_UP: 2 } });
    expect(await exchangesOf('ext.failing')).toBe(1);
  });

  it('gives up on a slow department after bounded attempts, in bounded time', async () => {
    await publish('ext.slow', slow.provider({ timeoutMs: 300, attempts: 2 }));
    const t0 = Date.now();
    const error = await failure(ask('ext.slow'));
    expect(error.code).toBe('DEPARTMENT_UNAVAILABLE');
    expect((error.details as { lastError: string }).lastError).toContain('no answer within 300 ms');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await exchangesOf('ext.slow')).toBe(0);
    await publish('ext.slow', slow.provider({ timeoutMs: 5000, attempts: 1 }));
    expect((await ask('ext.slow')).exchange.status).toBe('completed'); // patient enough, it answers
  });

  it('refuses a replayed request, a tampered body and an unknown key at the department', async () => {
    const url = `${hospital.url}/v1/datasets/ext.hospital/query`;
    const body = JSON.stringify({ requestId: 'replay-test-0000000001', residentId, fields: ['childName'], purpose: PURPOSE });
    const signed = await signRequest(platformKey, { url, body, idempotencyKey: 'replay-test-0000000001' });
    const send = async (headers: Record<string, string>, b: string) => {
      const res = await fetch(url, { method: 'POST', headers, body: b });
      return { status: res.status, body: (await res.json()) as { error?: string; message?: string; data?: unknown } };
    };
    expect(await send(signed.headers, body.replace('childName', 'hospital'))).toMatchObject({
      status: 401,
      body: { error: 'DIGEST_MISMATCH' },
    });
    expect(await send(signed.headers, body)).toMatchObject({ status: 200, body: { data: { childName: '钱小宝' } } });
    const replay = await send(signed.headers, body);
    expect(replay).toMatchObject({ status: 401, body: { error: 'REPLAYED_NONCE' } });
    expect(replay.body.message).toContain('replay refused');
    const stranger = await signRequest(otherPlatformKey, { url, body, idempotencyKey: 'replay-test-0000000001' });
    expect(await send(stranger.headers, body)).toMatchObject({ status: 401, body: { error: 'UNKNOWN_KEY' } });
    const stale = await signRequest(platformKey, {
      url,
      body,
      idempotencyKey: 'replay-test-0000000001',
      now: new Date(Date.now() - 600_000),
    });
    expect(await send(stale.headers, body)).toMatchObject({ status: 401, body: { error: 'SIGNATURE_EXPIRED' } });
    // Signed, but not an object to read a query from: refused as such, not a 500.
    for (const [i, odd] of ['null', '42', '["childName"]'].entries()) {
      const signedOdd = await signRequest(platformKey, { url, body: odd, idempotencyKey: `odd-body-00000000000${i}` });
      expect(await send(signedOdd.headers, odd)).toMatchObject({
        status: 400,
        body: { error: 'MALFORMED_JSON', message: 'the body is not a JSON object' },
      });
    }
  });

  it('refuses a tampered, unsigned or replayed answer, recording nothing', async () => {
    const proxy = await startProxy(hospital);
    try {
      await publish('ext.hospital', { ...hospital.provider(), baseUrl: proxy.url });
      const before = await ledgerSize();
      const count0 = await exchangesOf('ext.hospital');
      const reasons: Record<string, string> = {};
      for (const mode of ['tamper-body', 'tamper-body-and-digest', 'strip-signature'] as const) {
        proxy.mode = mode;
        const error = await failure(ask('ext.hospital'));
        expect(error.code).toBe('DEPARTMENT_RESPONSE_INVALID');
        reasons[mode] = (error.details as { reason: string }).reason;
      }
      expect(reasons).toEqual({
        'tamper-body': 'DIGEST_MISMATCH',
        'tamper-body-and-digest': 'SIGNATURE_INVALID',
        'strip-signature': 'SIGNATURE_MISSING',
      });
      proxy.mode = 'pass';
      await ask('ext.hospital');
      proxy.mode = 'answer-previous'; // a genuine signed answer, but to the request before
      expect((await failure(ask('ext.hospital'))).details).toEqual({ reason: 'SIGNATURE_INVALID' });
      expect(await exchangesOf('ext.hospital')).toBe(count0 + 1); // only the one passed through
      expect(await ledgerSize()).toBe(before + 1);
    } finally {
      await publish('ext.hospital', hospital.provider());
      await proxy.close();
    }
  });

  it('refuses an answer signed with a key other than the pinned one, and reports a department that does not trust the platform', async () => {
    const impostor = newSigningKey('dept');
    await publish('ext.hospital', { ...hospital.provider(), publicKey: impostor.publicKeyPem });
    const wrongKey = await failure(ask('ext.hospital'));
    expect(wrongKey).toMatchObject({ code: 'DEPARTMENT_RESPONSE_INVALID', details: { reason: 'SIGNATURE_INVALID' } });
    expect(formatMessage(wrongKey.code, wrongKey.params, 'zh-CN')).toContain('未通过签名核验');
    await publish('ext.hospital', { ...hospital.provider(), keyId: impostor.keyId, publicKey: impostor.publicKeyPem });
    expect((await failure(ask('ext.hospital'))).details).toEqual({ reason: 'UNKNOWN_KEY' });
    await publish('ext.hospital', hospital.provider());

    await publish('ext.untrusting', untrusting.provider());
    const refused = await failure(ask('ext.untrusting'));
    expect(refused).toMatchObject({ code: 'DEPARTMENT_REFUSED', details: { status: 401, error: 'UNKNOWN_KEY' } });
    expect(await exchangesOf('ext.untrusting')).toBe(0);
  });

  it('completes an exchange with a department on SM2: the platform signs with its SM2 key, verifies the SM2 answer, records it once', async () => {
    expect(sm2Hospital.provider().publicKey).toContain('BEGIN PUBLIC KEY');
    await publish('ext.sm2', sm2Hospital.provider());
    const before = await ledgerSize();
    const key = requestKey();
    const first = await ask('ext.sm2', key);
    expect(first).toMatchObject({
      replayed: false,
      exchange: { status: 'completed' },
      data: { childName: '钱小宝', hospital: '正定县人民医院' },
    });
    const again = await ask('ext.sm2', key);
    expect(again).toMatchObject({ replayed: true, data: first.data, exchange: { id: first.exchange.id } });
    expect(await ledgerSize()).toBe(before + 1);
    expect(await exchangesOf('ext.sm2')).toBe(1);
    expect(await sm2Hospital.stats()).toMatchObject({ distinctRequests: 1, served: 2, refused: {} });

    // On the wire: the department's answer is signed with `alg` "sm2-sm3" under its own key id.
    const url = `${sm2Hospital.url}/v1/datasets/ext.sm2/query`;
    const body = JSON.stringify({ requestId: 'sm2-wire-000000000001', residentId, fields: ['childName'], purpose: PURPOSE });
    const signed = await signRequest(platformSm2Key, { url, body, idempotencyKey: 'sm2-wire-000000000001' });
    expect(signed.headers['signature-input']).toContain('alg="sm2-sm3"');
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body });
    const headers = Object.fromEntries(res.headers);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(headers['signature-input']).toMatch(new RegExp(`keyid="${sm2Hospital.keyId}";alg="sm2-sm3"$`));
    const departmentKey = sm2VerifyingKey(sm2Hospital.provider().publicKey);
    await expect(
      verifyResponse(
        { url, headers: signed.headers },
        { status: 200, headers, body: text },
        { keyFor: (id) => (id === sm2Hospital.keyId ? departmentKey : null), windowSeconds: 300 },
      ),
    ).resolves.toMatchObject({ alg: 'sm2-sm3' });
  });

  it('refuses an answer signed with an SM2 key other than the pinned one, as for Ed25519', async () => {
    const impostor = newSm2SigningKey('dept');
    await publish('ext.sm2', { ...sm2Hospital.provider(), publicKey: impostor.publicKeyPem });
    const before = await ledgerSize();
    const count0 = await exchangesOf('ext.sm2');
    const wrongKey = await failure(ask('ext.sm2'));
    expect(wrongKey).toMatchObject({ code: 'DEPARTMENT_RESPONSE_INVALID', details: { reason: 'SIGNATURE_INVALID' } });
    expect(formatMessage(wrongKey.code, wrongKey.params, 'zh-CN')).toContain('未通过签名核验');
    await publish('ext.sm2', { ...sm2Hospital.provider(), keyId: impostor.keyId, publicKey: impostor.publicKeyPem });
    expect((await failure(ask('ext.sm2'))).details).toEqual({ reason: 'UNKNOWN_KEY' });
    // An Ed25519 key pinned for the SM2 department: the platform signs in the pinned key's algorithm, Ed25519, which this
    // department (trusting only the platform's SM2 key) refuses.
    await publish('ext.sm2', { ...sm2Hospital.provider(), publicKey: newSigningKey('dept').publicKeyPem });
    expect((await failure(ask('ext.sm2'))).details).toEqual({ status: 401, error: 'UNKNOWN_KEY' });
    expect(await exchangesOf('ext.sm2')).toBe(count0);
    expect(await ledgerSize()).toBe(before);
    await publish('ext.sm2', sm2Hospital.provider());
    expect((await ask('ext.sm2')).exchange.status).toBe('completed');
  });

  it('an SM2 department refuses a request signed with an SM2 key it does not trust', async () => {
    const url = `${sm2Hospital.url}/v1/datasets/ext.sm2/query`;
    const send = async (key: Parameters<typeof signRequest>[0], requestId: string) => {
      const body = JSON.stringify({ requestId, residentId, fields: ['childName'], purpose: PURPOSE });
      const signed = await signRequest(key, { url, body, idempotencyKey: requestId });
      const res = await fetch(url, { method: 'POST', headers: signed.headers, body });
      return { status: res.status, body: (await res.json()) as { error?: string; data?: unknown } };
    };
    const refused0 = (await sm2Hospital.stats()).refused;
    expect(await send(platformSm2Key, 'sm2-trusted-00000000001')).toMatchObject({ status: 200, body: { data: { childName: '钱小宝' } } });
    expect(await send(otherPlatformSm2Key, 'sm2-stranger-0000000001')).toMatchObject({ status: 401, body: { error: 'UNKNOWN_KEY' } });
    // A stranger's SM2 key under the trusted key's id: the signature does not verify.
    const forged = { ...otherPlatformSm2Key, keyId: platformSm2Key.keyId };
    expect(await send(forged, 'sm2-forged-000000000001')).toMatchObject({ status: 401, body: { error: 'SIGNATURE_INVALID' } });
    const refused = (await sm2Hospital.stats()).refused;
    expect(refused.UNKNOWN_KEY).toBe((refused0.UNKNOWN_KEY ?? 0) + 1);
    expect(refused.SIGNATURE_INVALID).toBe((refused0.SIGNATURE_INVALID ?? 0) + 1);
  });
});
