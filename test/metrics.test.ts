import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMetricsToken } from '../src/core/config.ts';
import { registerOperationsGauges } from '../src/http/metrics-gauges.ts';
import { isLoopback } from '../src/http/metrics.ts';
import type { App } from '../src/http/server.ts';
import { makeResidentId } from '../src/modules/identity/resident-id.ts';
import { readLedgerGauges } from '../src/modules/ledger/index.ts';
import { readOutboxGauges } from '../src/modules/events/index.ts';
import { buildApp } from '../src/platform.ts';
import { appSuite } from './app-suite.ts';
import { testEngines } from './db.ts';
import { PASSWORD, TEST_RATE_LIMITS, type TestContext } from './factories.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'metrics-test-token-0123456789abcdef';

/** One sample's value from the text exposition: `name{labels} value`, the labels in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

/** Another app over the same services, with its own registry (and so its own gauge cache). */
function appOver(ctx: TestContext, options: { metricsToken?: string } = {}): Promise<App> {
  return buildApp(
    { database: ctx.database, services: ctx.services, close: () => Promise.resolve() },
    { logLevel: 'silent', rateLimits: TEST_RATE_LIMITS, ...options },
  );
}

describe.each(testEngines())('GET /metrics on %s', (engine) => {
  const suite = appSuite(engine);
  const scrape = async (app: App = suite.app) => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('counts requests by route pattern and status class, with no id or ID number in any label', async () => {
    const residentId = makeResidentId('130123', '1990-03-07', 1);
    const caseId = randomUUID();
    const resident = await suite.ctx.newResident();
    const login = await suite.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: resident.residentId, password: PASSWORD, channel: 'web' },
    });
    expect(login.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
    for (let i = 0; i < 3; i++) expect((await suite.app.inject('/api/platform')).statusCode).toBe(200);
    expect((await suite.app.inject({ url: `/api/cases/${caseId}`, headers: auth })).statusCode).toBe(404);
    await suite.app.inject(`/api/orgs?q=${residentId}`);
    await suite.app.inject(`/verify/${residentId}`);
    expect((await suite.app.inject({ method: 'DELETE', url: `/nothing/${residentId}/${caseId}` })).statusCode).toBe(404);

    const text = await scrape();
    expect(text).toContain('# TYPE yiban_http_request_duration_seconds histogram');
    const count = (labels: Record<string, string>) => sample(text, 'yiban_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/api/platform', status_class: '2xx' })).toBe(3);
    expect(count({ method: 'GET', route: '/api/cases/:id', status_class: '4xx' })).toBe(1);
    expect(count({ method: 'DELETE', route: 'unmatched', status_class: '4xx' })).toBe(1);
    // Every request is in a bucket: the +Inf bucket equals the count.
    expect(sample(text, 'yiban_http_request_duration_seconds_bucket', { route: '/api/platform', le: '+Inf' })).toBe(3);
    expect(sample(text, 'yiban_http_requests_in_flight')).toBe(1); // the scrape itself
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).not.toContain(caseId);
    expect(text).not.toContain(residentId);
    expect(text).not.toContain(residentId.slice(6, 14));
    expect(text).not.toContain(resident.residentId);
  });

  it('answers only loopback callers not behind a proxy when no token is set, with the error shape', async () => {
    const remote = await suite.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.7' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json<{ error: { code: string } }>().error.code).toBe('FORBIDDEN');
    expect(remote.body).not.toContain('yiban_');
    const proxied = await suite.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(proxied.statusCode).toBe(403);
    const v6 = await suite.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '::1' });
    expect(v6.statusCode).toBe(200);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::ffff:10.0.0.1')).toBe(false);
    expect(isLoopback('128.0.0.1')).toBe(false);
  });

  it('requires the bearer token when METRICS_TOKEN is set, from any address', async () => {
    const app = await appOver(suite.ctx, { metricsToken: TOKEN });
    try {
      const none = await app.inject({ method: 'GET', url: '/metrics' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(none.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'UNAUTHENTICATED' });
      const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.statusCode).toBe(401);
      const right = await app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress: '203.0.113.7',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '198.51.100.1' },
      });
      expect(right.statusCode).toBe(200);
      expect(right.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(right.headers['cache-control']).toBe('no-store');
      // Its own registry: the suite app's requests are not counted here.
      expect(sample(right.body, 'yiban_http_request_duration_seconds_count', { route: '/api/platform' })).toBeUndefined();
    } finally {
      await app.close();
    }
    expect(loadMetricsToken({ METRICS_TOKEN: ` ${TOKEN} ` })).toBe(TOKEN);
    expect(loadMetricsToken({ METRICS_TOKEN: '' })).toBeUndefined();
    expect(() => loadMetricsToken({ METRICS_TOKEN: 'short' })).toThrow(/at least 16/);
  });

  it('shows the outbox backlog, its lag and dead letters per topic, the ledger backlog and the open cross-province settlements', async () => {
    const { db } = suite.ctx.database;
    // Open cross-province settlements: one being asked, one waiting 20 minutes for B to take it back; a settled one is not open.
    const intent = (state: string, ago: string) =>
      db.execute(sql`insert into insurance_remote_intents (call_id, kind, institution_code, msgid, request_digest, mdtrt_id, region, state, created_at, updated_at)
        values (${randomUUID()}, 'settle', 'H13012300001', ${randomUUID()}, 'd', 'M1', '450800', ${state}, now() - ${ago}::interval, now() - ${ago}::interval)`);
    await intent('pending', '10 seconds');
    await intent('abandoning', '20 minutes');
    await intent('settled', '2 hours');
    const topic = `test.metrics.${randomUUID().slice(0, 8)}`;
    await db.execute(sql`insert into outbox (topic, payload, created_at) values (${topic}, '{}', now() - interval '90 seconds')`);
    await db.execute(sql`insert into outbox (topic, payload) values (${topic}, '{}')`);
    await db.execute(sql`insert into outbox (topic, payload, attempts, dead_at) values (${topic}, '{}', 8, now())`);
    await db.execute(sql`insert into outbox (topic, payload, processed_at) values (${topic}, '{}', now())`);
    await suite.ctx.services.ledger.sequenceNow();
    const before = await readLedgerGauges(db);
    expect(before).toMatchObject({ witnessesFailing: 0, witnessLeadEntries: 0 });
    await suite.ctx.services.ledger.append({ kind: 'test.metrics', data: new Uint8Array([7]) });
    // Witnesses the log pushes to: one that cosigned this log's newest checkpoint, one failing that
    // says (a 409) it cosigned a tree 5 entries larger, as after a restore to an earlier point.
    const name = `w${randomUUID().slice(0, 8)}`;
    for (const [witness, knownSize, failures] of [
      [`${name}-ok`, before.checkpointSize!, 0],
      [`${name}-ahead`, before.checkpointSize! + 5, 3],
    ] as const) {
      await db.execute(sql`insert into ledger_witnesses (name, vkey) values (${witness}, ${`${witness}+00000000+AAAA`})`);
      await db.execute(sql`insert into ledger_witness_pushes (witness, url, known_size, failures)
        values (${witness}, 'https://witness.example', ${knownSize}, ${failures})`);
    }

    const app = await appOver(suite.ctx);
    try {
      const text = await scrape(app);
      expect(sample(text, 'yiban_outbox_pending_events', { topic })).toBe(2);
      expect(sample(text, 'yiban_outbox_dead_letters', { topic })).toBe(1);
      const lag = sample(text, 'yiban_outbox_oldest_pending_age_seconds', { topic })!;
      expect(lag).toBeGreaterThanOrEqual(90);
      expect(lag).toBeLessThan(600);
      expect(sample(text, 'yiban_ledger_entries')).toBe(before.entries);
      expect(sample(text, 'yiban_ledger_queued_entries')).toBe(1);
      expect(sample(text, 'yiban_ledger_unintegrated_entries')).toBe(1);
      expect(sample(text, 'yiban_ledger_checkpoint_size')).toBe(before.checkpointSize);
      expect(sample(text, 'yiban_ledger_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'yiban_ledger_witnesses_failing')).toBe(1);
      expect(sample(text, 'yiban_ledger_witness_lead_entries')).toBe(5);
      expect(sample(text, 'yiban_metrics_source_up', { source: 'outbox' })).toBe(1);
      expect(sample(text, 'yiban_metrics_source_up', { source: 'ledger' })).toBe(1);
      expect(sample(text, 'yiban_insurance_remote_intents', { state: 'pending' })).toBe(1);
      expect(sample(text, 'yiban_insurance_remote_intents', { state: 'abandoning' })).toBe(1);
      const age = sample(text, 'yiban_insurance_oldest_open_intent_age_seconds')!;
      expect(age).toBeGreaterThanOrEqual(20 * 60);
      expect(age).toBeLessThan(25 * 60);
      expect(sample(text, 'yiban_metrics_source_up', { source: 'insurance' })).toBe(1);
    } finally {
      await app.close();
    }
    await suite.ctx.services.ledger.sequenceNow();
    const after = await readLedgerGauges(db);
    // The log's new checkpoint is one entry larger: the witness's tree now leads it by 4.
    expect(after).toMatchObject({
      entries: before.entries + 1,
      queued: 0,
      oldestQueuedAgeSeconds: null,
      checkpointSize: before.entries + 1,
      witnessesFailing: 1,
      witnessLeadEntries: 4,
    });
    // Pushed again and cosigned: nothing leads, nothing fails.
    await db.execute(
      sql`update ledger_witness_pushes set known_size = ${after.checkpointSize}, failures = 0 where witness like ${`${name}-%`}`,
    );
    expect(await readLedgerGauges(db)).toMatchObject({ witnessesFailing: 0, witnessLeadEntries: 0 });
    expect((await readOutboxGauges(db)).find((t) => t.topic === topic)).toMatchObject({ pending: 2, dead: 1 });
  });
});

describe('database gauges', () => {
  const readers = (calls: { outbox: number; ledger: number }, fail = false) => ({
    outbox: async () => {
      calls.outbox++;
      if (fail) throw new Error('database down');
      return [{ topic: 'case.decided', pending: calls.outbox, oldestPendingAgeSeconds: 3, dead: 0 }];
    },
    ledger: async () => {
      calls.ledger++;
      if (fail) throw new Error('database down');
      return {
        entries: 10,
        queued: 2,
        oldestQueuedAgeSeconds: 0.5,
        checkpointSize: 7,
        checkpointAgeSeconds: 1,
        witnessesFailing: 0,
        witnessLeadEntries: 0,
      };
    },
  });

  it('read each source once per interval however many scrapes come, concurrent ones sharing the read', async () => {
    const calls = { outbox: 0, ledger: 0 };
    const registry = new Registry();
    registerOperationsGauges(registry, readers(calls), { cacheMs: 60_000, warn: () => undefined });
    const texts = await Promise.all(Array.from({ length: 20 }, () => registry.metrics()));
    texts.push(await registry.metrics());
    expect(calls).toEqual({ outbox: 1, ledger: 1 });
    for (const text of texts) {
      expect(sample(text, 'yiban_outbox_pending_events', { topic: 'case.decided' })).toBe(1);
      expect(sample(text, 'yiban_ledger_unintegrated_entries')).toBe(5);
    }
    // After the interval, the next scrape reads again (once).
    let now = 0;
    const timed = new Registry();
    registerOperationsGauges(timed, readers(calls), { cacheMs: 5000, warn: () => undefined, now: () => now });
    await Promise.all([timed.metrics(), timed.metrics()]);
    now = 4999;
    await timed.metrics();
    expect(calls).toEqual({ outbox: 2, ledger: 2 });
    now = 5000;
    expect(sample(await timed.metrics(), 'yiban_outbox_pending_events', { topic: 'case.decided' })).toBe(3);
    expect(calls).toEqual({ outbox: 3, ledger: 3 });
  });

  it('show a failed source as down with no values, warn once per read, and do not fail the scrape', async () => {
    const calls = { outbox: 0, ledger: 0 };
    const warned: string[] = [];
    const registry = new Registry();
    registerOperationsGauges(registry, readers(calls, true), { cacheMs: 60_000, warn: (_e, source) => warned.push(source) });
    const text = await registry.metrics();
    await registry.metrics();
    expect(sample(text, 'yiban_metrics_source_up', { source: 'outbox' })).toBe(0);
    expect(sample(text, 'yiban_metrics_source_up', { source: 'ledger' })).toBe(0);
    expect(sample(text, 'yiban_outbox_pending_events', { topic: 'case.decided' })).toBeUndefined();
    expect(sample(text, 'yiban_ledger_entries')).toBeUndefined();
    expect(warned.sort()).toEqual(['ledger', 'outbox']);
  });
});

describe('the Grafana dashboard (docs/grafana/yiban-dashboard.json)', () => {
  const suite = appSuite('pglite');
  let text = '';
  beforeAll(async () => {
    await suite.app.inject('/api/platform');
    text = (await suite.app.inject({ method: 'GET', url: '/metrics' })).body;
  });

  it('uses only metrics a real app exposes', () => {
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'docs/grafana/yiban-dashboard.json'), 'utf8')) as unknown;
    const exprs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if ((k === 'expr' || k === 'definition') && typeof v === 'string') exprs.push(v);
          else walk(v);
        }
      }
    };
    walk(dashboard);
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const families = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => `${m[1]} ${m[2]}`));
    const typeOf = (name: string) => [...families].find((f) => f.startsWith(`${name} `))?.split(' ')[1];
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(?:yiban|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0])));
    expect(names.size).toBeGreaterThanOrEqual(10);
    for (const name of names) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const known = typeOf(name) ?? (base !== name && typeOf(base) === 'histogram' ? 'histogram' : undefined);
      expect(known, `${name} in the dashboard is not in a scrape`).toBeDefined();
    }
  });
});
