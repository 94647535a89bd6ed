import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../../test/db.ts';
import { freePort, newSigningKey, startDepartment, type RunningDepartment } from '../../../test/external-department.ts';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import { AppError, formatMessage } from '../../core/errors.ts';
import type { Principal } from '../identity/principal.ts';
import { ledgerEntries } from '../ledger/ledger.tables.ts';
import { signRequest } from './http-signature-sign.ts';
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
  let ctx: TestContext;
  let police: Principal;
  let hospital: RunningDepartment;
  let failing: RunningDepartment;
  let slow: RunningDepartment;
  let untrusting: RunningDepartment;
  let laterPort: number;
  let later: RunningDepartment | undefined;
  let residentId: string;
  let caseId: string;
  const records = () => [{ residentId, data: { childName: '钱小宝', hospital: '正定县人民医院' } }];

  beforeAll(async () => {
    ctx = await createTestContext(engine, { externalSharing: { key: platformKey, backoffBaseMs: 20, maxBackoffMs: 100 } });
    police = await ctx.newStaff('department_officer', ctx.departments.public_security!);
    const resident = await ctx.newResident({ name: '钱进' });
    residentId = resident.residentId;
    caseId = (
      await ctx.services.applications.submit(resident, { serviceCode: PURPOSE, form: { childName: '钱小宝', householdHead: '钱进' } })
    ).case.id;
    const datasets = (code: string) => [{ code, records: records() }];
    [hospital, failing, slow, untrusting, laterPort] = await Promise.all([
      startDepartment({ name: '正定县人民医院', datasets: datasets('ext.hospital'), trust: [platformKey.publicKeyPem] }),
      startDepartment({ name: '启动中的医院', datasets: datasets('ext.failing'), trust: [platformKey.publicKeyPem], failFirst: 2 }),
      startDepartment({ name: '缓慢的医院', datasets: datasets('ext.slow'), trust: [platformKey.publicKeyPem], delayMs: 1500 }),
      startDepartment({ name: '不信任平台的医院', datasets: datasets('ext.untrusting'), trust: [otherPlatformKey.publicKeyPem] }),
      freePort(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([hospital, failing, slow, untrusting, later].map((d) => d?.stop() ?? Promise.resolve()));
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
});
