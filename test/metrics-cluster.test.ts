import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from './db-template.ts';
import { createTestContext, type TestContext } from './factories.ts';

/**
 * `yiban serve --workers 2`: the port is shared, and Node's cluster hands each new connection to
 * the next worker in turn, so requests on fresh connections are split between the two. A scrape,
 * whichever worker gets it, must show both workers' requests (summed by the primary), and the
 * database gauges once, not once per worker. PostgreSQL only (PGlite is one process's database).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUESTS = 40;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A GET on a connection of its own (no keep-alive), so the cluster may give it to either worker. */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function sample(text: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe.skipIf(!process.env.DATABASE_URL)('GET /metrics under yiban serve --workers 2', () => {
  let ctx: TestContext;
  let child: ChildProcess;
  let base = '';
  let output = '';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-metrics-cluster-'));

  beforeAll(async () => {
    ctx = await createTestContext('postgres');
    const { rows } = await ctx.database.db.execute<{ name: string }>(sql`select current_database() as name`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/yiban.js'), 'serve', '--workers', '2', '--no-seed', '--no-web', '--port', String(port)],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl(process.env.DATABASE_URL!, rows[0]!.name),
          YIBAN_MASTER_KEY: ctx.masterKey.toString('base64'),
          YIBAN_DATA_DIR: dataDir,
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          METRICS_TOKEN: '',
        },
      },
    );
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    // Both workers say they are ready (serve.ts), so both take connections.
    const end = Date.now() + 180_000;
    while ((output.match(/已就绪 ready/g) ?? []).length < 2) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`the workers did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 300_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await ctx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('sums both workers’ requests in every scrape and shows the database gauges once', async () => {
    const topic = 'test.metrics.cluster';
    // Dead letters: the servers' event workers leave them alone.
    await ctx.database.db.execute(
      sql`insert into outbox (topic, payload, attempts, dead_at) select ${topic}, '{}', 8, now() from generate_series(1, 3)`,
    );
    for (let i = 0; i < REQUESTS; i++) expect((await getFresh(`${base}/api/platform`)).status).toBe(200);

    for (let scrape = 0; scrape < 6; scrape++) {
      const { status, body } = await getFresh(`${base}/metrics`);
      expect(status, body).toBe(200);
      const count = sample(
        body,
        /^yiban_http_request_duration_seconds_count\{(?=[^}]*route="\/api\/platform")(?=[^}]*status_class="2xx")[^}]*\} (\d+)$/m,
      );
      expect(count).toBe(REQUESTS);
      // Every worker reads the same database: 3, not 6.
      expect(sample(body, /^yiban_outbox_dead_letters\{topic="test\.metrics\.cluster"\} (\d+)$/m)).toBe(3);
      expect(sample(body, /^yiban_metrics_source_up\{source="outbox"\} (\d+)$/m)).toBe(1);
    }
  }, 120_000);
});
