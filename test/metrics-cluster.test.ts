import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE } from '../src/cli/serve.ts';
import { until } from '../src/demo/node-processes.ts';
import { databaseUrl } from './db-template.ts';
import { approvedCertificateEntry, createTestContext, type TestContext } from './factories.ts';

/**
 * `yiban serve --workers 2`: two workers that serve HTTP and a third, the background worker, that
 * does the background work at a lower CPU priority. The port is shared, and Node's cluster hands each new connection to
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
    // Both API workers say they are ready (serve.ts), so both take connections; so does the background worker.
    const end = Date.now() + 180_000;
    while ((output.match(/已就绪 ready/g) ?? []).length < 2 || !output.includes('background process')) {
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

  it('forks the background worker beside the two API workers, at a lower priority, and it does the background work', async () => {
    expect(output).toContain('2 个进程 processes + 1 个后台进程 background');
    // The primary's workers (Linux: /proc/<pid>/stat's fourth field is the parent's pid; a worker runs
    // bin/yiban.js as the primary does, unlike the esbuild service tsx may start beside them), by priority.
    const children = () =>
      readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .flatMap((pid) => {
          try {
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
            if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== child.pid) return [];
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('yiban.js') ? [getPriority(Number(pid))] : [];
          } catch {
            return []; // gone between the listing and the read
          }
        })
        .sort((a, b) => a - b);
    const expected = [getPriority(), getPriority(), Math.max(getPriority(), BACKGROUND_NICE)];
    await until(
      'two API workers and a background worker',
      async () => JSON.stringify(children()) === JSON.stringify(expected),
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: the primary's children's priorities ${JSON.stringify(children())}; its output: ${output}`);
    });
    // None had to be forked again.
    expect(output).not.toContain('退出 exited');

    // An approval: a certificate whose ledger entry and events only a background worker takes up.
    const db = ctx.database.db;
    const entry = await approvedCertificateEntry(ctx);
    await until('the entry to be sequenced', async () => (await ctx.services.ledger.lookup(entry))?.integrated === true, 180_000);
    await until(
      'the approval’s events to be handled',
      async () =>
        (await db.execute<{ n: number }>(sql`select count(*)::int as n from outbox where processed_at is null and dead_at is null`))
          .rows[0]!.n === 0,
      180_000,
    );
  }, 300_000);
});
