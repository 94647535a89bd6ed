import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { buildTestApp, createTestContext, PASSWORD, VILLAGE, type TestContext } from './factories.ts';
import {
  bodyValue,
  listOperations,
  CORE_NASTY_STRINGS,
  CORE_NASTY_VALUES,
  paramValue,
  RAW_BODIES,
  encodeUrlPart,
  validValue,
  type OpenApiDoc,
  type Operation,
} from './fuzz-arbitraries.ts';

/**
 * No input makes the server answer 5xx. Every operation of the OpenAPI document the app
 * generates (so a new route is fuzzed without touching this file), its path and query
 * parameters and its JSON body, from values its schema accepts to the classic nasty ones, as
 * an anonymous caller, a resident and staff at three levels.
 *
 * Two parts: a sweep that puts each of the core nasty values (the ones that broke servers before:
 * NUL, control characters, lone surrogates, 1e309, huge strings, wrong types) into each parameter
 * and body of each operation once, and random requests (fast-check) mixing valid values with all
 * the nasty ones. Bounded for CI:
 * FUZZ_RUNS (random requests per caller, default 60) runs longer; FUZZ_SEED replays a run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_204);

/** Ends the caller's own session; fuzzed only anonymously so the other callers stay logged in. */
const SESSION_ENDING = new Set(['POST /api/auth/logout']);

interface Caller {
  name: string;
  token: string | undefined;
}

interface Outcome {
  caller: string;
  op: string;
  url: string;
  payload: string;
  status: number;
  body: string;
}

describe('API under random input', () => {
  let ctx: TestContext;
  let app: App;
  let doc: OpenApiDoc;
  let ops: Operation[];
  const callers: Caller[] = [{ name: 'anonymous', token: undefined }];
  const uuids: string[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;
  const failures: Outcome[] = [];

  beforeAll(async () => {
    console.log(`fuzz: seed ${SEED}, ${RUNS} random requests per caller (replay with FUZZ_SEED=${SEED}, run longer with FUZZ_RUNS)`);
    const started = Date.now();
    ctx = await createTestContext('pglite');
    app = await buildTestApp(ctx);
    await app.ready();
    doc = app.swagger() as unknown as OpenApiDoc;
    ops = listOperations(doc);

    // Sessions straight from the identity service: one password hash and one check per caller.
    const resident = await ctx.newResident();
    const residentSession = await ctx.services.identity.login({
      kind: 'resident',
      residentIdOrPhone: resident.residentId,
      password: PASSWORD,
      channel: 'app',
    });
    callers.push({ name: 'resident', token: residentSession.token });
    const staffRoles = [
      { name: 'village reviewer', role: 'village_reviewer', orgCode: VILLAGE },
      { name: 'department officer', role: 'department_officer', orgCode: ctx.departments.public_security! },
      { name: 'platform admin', role: 'platform_admin', orgCode: '130123' },
    ] as const;
    for (const [i, s] of staffRoles.entries()) {
      const username = `fuzz${i}${Date.now().toString(36)}`;
      const { accountId } = await ctx.services.identityAdmin.ensureStaff({
        username,
        name: s.name,
        password: PASSWORD,
        roles: [{ role: s.role, orgCode: s.orgCode }],
      });
      const session = await ctx.services.identity.login({ kind: 'staff', username, password: PASSWORD, channel: 'web' });
      callers.push({ name: s.name, token: session.token });
      uuids.push(accountId);
    }

    // Real ids, so that some uuid parameters name a row and the request reaches past the lookup.
    const form = { address: '塔元庄村', residentSince: '2010-01-01', purpose: 'employment' };
    const submitted = await ctx.services.applications.submit(resident, { serviceCode: 'cert.residence', form });
    uuids.push(submitted.case.id, resident.accountId);
    console.log(`fuzz: set up in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(
      `fuzz: ${sent} requests over ${ops?.length ?? 0} operations and ${callers.length} callers; ${failures.length} answered ≥ 500; ${byStatus}`,
    );
    await app?.close();
  });

  async function send(caller: Caller, op: Operation, request: InjectOptions): Promise<Outcome> {
    const res = await app.inject({
      ...request,
      headers: { ...request.headers, ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}) },
    });
    sent++;
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    const payload = typeof request.payload === 'string' ? request.payload : '';
    const outcome = {
      caller: caller.name,
      op: `${op.method} ${op.path}`,
      url: typeof request.url === 'string' ? request.url : '',
      payload,
      status: res.statusCode,
      body: res.body.slice(0, 300),
    };
    if (res.statusCode >= 500) failures.push(outcome);
    return outcome;
  }

  function callersFor(op: Operation): Caller[] {
    return SESSION_ENDING.has(`${op.method} ${op.path}`) ? callers.filter((c) => !c.token) : callers;
  }

  /** The request for `op` with these parameter values (by name) and body. */
  function buildRequest(op: Operation, params: Record<string, string>, body: unknown, hasBody: boolean, raw?: string): InjectOptions {
    let url = op.path;
    const query: string[] = [];
    const headers: Record<string, string> = {};
    for (const p of op.parameters) {
      const value = params[p.name];
      if (p.in === 'path') {
        const encoded = p.name === '*' ? (value ?? '').split('/').map(encodeUrlPart).join('/') : encodeUrlPart(value ?? '');
        url = url.replace(`{${p.name}}`, encoded);
      } else if (value === undefined) {
        continue;
      } else if (p.in === 'query') {
        query.push(`${encodeUrlPart(p.name)}=${encodeUrlPart(value)}`);
      } else if (p.in === 'header') {
        // Node refuses control characters in header values before they leave the client.
        headers[p.name] = [...value].some((c) => c < ' ' || c > '~') ? encodeUrlPart(value) : value;
      }
    }
    return {
      method: op.method,
      url: query.length > 0 ? `${url}?${query.join('&')}` : url,
      headers: hasBody ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(hasBody ? { payload: raw ?? JSON.stringify(body) } : {}),
    };
  }

  /** One valid value for every parameter and the body, the background the sweep changes one at a time. */
  function baseline(op: Operation, seed: number): { params: Record<string, string>; body: unknown } {
    const params: Record<string, string> = {};
    for (const p of op.parameters) {
      const [value] = fc.sample(validValue(p.schema, doc, { uuids }), { seed, numRuns: 1 });
      params[p.name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const [body] = op.body ? fc.sample(validValue(op.body, doc, { uuids }), { seed, numRuns: 1 }) : [undefined];
    return { params, body };
  }

  it('enumerates every operation of the OpenAPI document', () => {
    const names = ops.map((op) => `${op.method} ${op.path}`);
    expect(names.length).toBeGreaterThan(80);
    for (const known of [
      'GET /api/cases/{id}/certificate',
      'GET /api/services',
      'PUT /api/sharing/datasets/{code}/records',
      'GET /ledger/tile/{*}',
      'POST /api/cases',
    ]) {
      expect(names).toContain(known);
    }
  });

  it('answers the inputs that used to give 500 with 400 or 404 and a stable code', async () => {
    const urls = [
      '/api/cases/-1/certificate',
      '/api/cases/not-a-uuid',
      '/api/services?q=%00',
      '/api/services/%00',
      '/api/overview?orgCode=%00',
      '/api/sharing/datasets?provider=%00',
      '/api/sharing/grants?orgCode=%00',
      '/api/sharing/datasets/%00/records/summary',
      '/api/orgs?q=a%00b',
      '/api/ledger/entries/1e309',
      '/api/ledger/checkpoints/1e309',
      `/api/cases/mine?after=${Buffer.from('["\u0000", "x"]').toString('base64url')}`,
    ];
    for (const caller of callers) {
      for (const url of urls) {
        const res = await app.inject({ method: 'GET', url, headers: caller.token ? { authorization: `Bearer ${caller.token}` } : {} });
        const code = res.json<{ error?: { code: string } }>().error?.code;
        expect([400, 401, 403, 404], `${caller.name} ${url} ${res.body}`).toContain(res.statusCode);
        expect(['VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'], `${caller.name} ${url}`).toContain(code);
      }
    }
    const put = await app.inject({
      method: 'PUT',
      url: '/api/sharing/datasets/ps.household_register/records',
      headers: { authorization: `Bearer ${callers.at(-1)!.token}`, 'content-type': 'application/json' },
      payload: { residentId: '130123198001010017', data: { name: '张\u0000三' } },
    });
    expect(put.statusCode, put.body).toBe(400);
    expect(put.json<{ error: { code: string } }>().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers each classic nasty value in each parameter and body with 4xx, never 5xx', async () => {
    let turn = 0;
    for (const [i, op] of ops.entries()) {
      const { params, body } = baseline(op, SEED + i);
      // One request per (operation, position, value); the callers take turns, so each operation
      // meets every caller while the sweep stays small.
      const eligible = callersFor(op);
      const next = () => eligible[turn++ % eligible.length]!;
      const hasBody = op.body !== undefined;
      for (const p of op.parameters) {
        for (const nasty of CORE_NASTY_STRINGS) await send(next(), op, buildRequest(op, { ...params, [p.name]: nasty }, body, hasBody));
      }
      if (!hasBody) continue;
      const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
      for (const [j, nasty] of CORE_NASTY_VALUES.entries()) {
        await send(next(), op, buildRequest(op, params, nasty, true));
        const field = fields[j % Math.max(fields.length, 1)];
        if (field !== undefined) await send(next(), op, buildRequest(op, params, { ...(body as object), [field]: nasty }, true));
      }
      for (const raw of RAW_BODIES) await send(next(), op, buildRequest(op, params, undefined, true, raw));
    }
    expect(failures.map((f) => `${f.status} ${f.caller} ${f.op} ${f.url} ${f.payload.slice(0, 200)} → ${f.body}`)).toEqual([]);
  }, 300_000);

  it('answers random requests to every operation with 2xx, 3xx or 4xx as every caller', async () => {
    const request = fc.integer({ min: 0, max: ops.length - 1 }).chain((i) => {
      const op = ops[i]!;
      const params = fc.record(Object.fromEntries(op.parameters.map((p) => [p.name, paramValue(p.schema, doc, { uuids })])), {
        requiredKeys: op.parameters.filter((p) => p.in === 'path').map((p) => p.name),
      });
      const body = op.body ? bodyValue(op.body, doc, { uuids }) : fc.constant(undefined);
      return fc.tuple(fc.constant(op), params, body, fc.constantFrom(...callersFor(op)));
    });
    await fc.assert(
      fc.asyncProperty(request, async ([op, params, body, caller]) => {
        const outcome = await send(caller, op, buildRequest(op, params, body, op.body !== undefined));
        expect(outcome.status, `${outcome.caller} ${outcome.op} ${outcome.url} → ${outcome.body}`).toBeLessThan(500);
      }),
      { seed: SEED, numRuns: RUNS * callers.length },
    );
  }, 300_000);
});
