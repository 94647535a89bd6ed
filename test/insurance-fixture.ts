import { afterAll, beforeAll } from 'vitest';
import type { Engine } from '../src/db/database.ts';
import type { App } from '../src/http/server.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { createHospitalClient, type HospitalClient, type Transport } from '../src/modules/insurance/hospital-client.ts';
import { sm2SigningKey } from '../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { buildTestApp, createTestContext, type TestContext } from './factories.ts';

export const HOSPITAL = 'H45010300001';

/** The hospital client's transport through the test app (app.inject), with the Host the request was signed for. */
export function injectTransport(app: () => App): Transport {
  return async ({ url, headers, body }) => {
    const target = new URL(url);
    const res = await app().inject({ method: 'POST', url: target.pathname, headers: { ...headers, host: target.host }, payload: body });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
    return { status: res.statusCode, headers: out, body: res.body };
  };
}

/**
 * The tertiary hospital HOSPITAL in 南宁市青秀区 registered with a fresh SM2 key, and its client
 * calling the app over HTTP (app.inject) with the platform's interface key pinned.
 */
export async function connectTestHospital(ctx: TestContext, app: App): Promise<HospitalClient> {
  const platformKey = (await app.inject({ method: 'GET', url: '/api/insurance/hsa/v1/interface-key' })).json<{
    keyId: string;
    publicKeySpki: string;
  }>();
  const key = sm2SigningKey(`${HOSPITAL}-key`, sm2GenerateKeyPair().privateKey);
  await ctx.services.insuranceAdmin.registerInstitution({
    code: HOSPITAL,
    nameZh: '南宁测试医院',
    nameEn: 'Test hospital',
    level: 3,
    region: '450103',
    keyId: key.keyId,
    publicKey: key.publicKey,
  });
  ctx.services.insurance.reference.clear();
  return createHospitalClient({
    baseUrl: 'http://yiban.test',
    hospital: { code: HOSPITAL, region: '450103', key },
    platformKey,
    transport: injectTransport(() => app),
  });
}

/**
 * A context whose services run on a clock the test moves (`at`: settlements fall on chosen China
 * days), the given pooling regions run by the medical security department, and a tertiary hospital
 * in 南宁市青秀区 calling over HTTP (app.inject) with real time, as its signatures need.
 */
export function insuranceSuite(engine: Engine, regions: readonly { region: string; nameZh: string }[]) {
  let ctx: TestContext;
  let app: App;
  let hospital: HospitalClient;
  let offset = 0;
  beforeAll(async () => {
    ctx = await createTestContext(engine, { clock: () => new Date(Date.now() + offset) });
    app = await buildTestApp(ctx);
    await seedInsurance(
      ctx.database.db,
      regions.map((r) => ({ ...r, officeOrgCode: ctx.departments.medical_security! })),
    );
    hospital = await connectTestHospital(ctx, app);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });
  return {
    ctx: () => ctx,
    app: () => app,
    hospital: () => hospital,
    /** The services' clock from now on reads `when` (and runs on). */
    at: (when: Date) => {
      offset = when.getTime() - Date.now();
    },
  };
}
