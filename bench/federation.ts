/**
 * 跨省通办 messages between two province nodes on this machine (issue 16). A hub and Guangxi run
 * as `yiban serve` processes (their own PGlite databases, 127.0.0.1); Hebei, the sender, is a
 * province node run in this process (the same platform, HTTP app, outbox worker and ledger
 * sequencer `yiban serve` starts, its own PGlite database) so that the bench can send through
 * `federation.send` directly. Every message is the real one: a row, a ledger leaf and an outbox
 * event at Hebei; an SM2/RFC 9421 signed POST; at Guangxi the signature checked against the
 * directory, the message recorded once with its ledger leaf and applied; a signed answer.
 *
 * 1. Messages/s and latency (send → applied at the receiver: the sender's `created` to the
 *    receiver's `done_at`, read from Guangxi's database at the end; one machine, one clock):
 *    `--senders` loops each sending one `ping` and waiting until it is delivered before the next
 *    (`--paced` messages in all), and `--bulk` pings written in one transaction.
 * 2. `--cases` cross-province cases (`case.handover`, Hebei's window to Guangxi) sent one after
 *    another; once `--kill-at` of them are delivered Guangxi is killed (SIGKILL) and started again
 *    on its data dir. Waited for until every case is accepted back in Hebei (`case.accepted`, the
 *    answer from Guangxi's case opened for it); then counted from both databases: hand-overs lost
 *    (sent, not recorded at Guangxi), applied twice (Guangxi's rows per hand-over beyond one, its
 *    cases beyond one per hand-over), answers missing.
 *
 * Baseline in the same run, the same node and the same pacing: a plain outbox event (no other
 * node) whose handler writes one row and marks the event in one transaction, enqueued → handled.
 * A federation message is exactly such an outbox event plus the signing, the HTTP round trip, the
 * receiver's verification and its own transaction with a ledger leaf: the ratio says what crossing
 * nodes costs over the node's own asynchronous work. (A local signed external exchange would
 * measure a synchronous query, not a delivery.)
 *
 *   npx tsx bench/federation.ts [--senders 8] [--paced 400] [--bulk 1000] [--cases 1000] [--kill-at 0.3] [--restart-ms 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/core/config.ts';
import { buildApp, openPlatform, type Platform } from '../src/platform.ts';
import type { EventHandler } from '../src/modules/events/index.ts';
import { DEMO_PASSWORD } from '../src/demo/demo-people.ts';
import { approveMembers, GUANGXI, HEBEI, HUB_ID, seedProvince } from '../src/demo/federation-seed.ts';
import { kill, nodeSpec, start, stopAll, until, type NodeSpec } from '../src/demo/node-processes.ts';
import { openDatabase } from '../src/db/database.ts';
import { ms, summarise, table, type LatencySummary } from './support/stats.ts';
import { loadLine } from './support/machine.ts';

const LOCAL_TOPIC = 'bench.federation.local';
/** Cross-witnessing once an hour: its reports to the hub are messages too, kept out of the figures. */
const QUIET = { YIBAN_FEDERATION_WITNESS_MS: '3600000' };

interface Run {
  label: string;
  messages: number;
  seconds: number;
  perSecond: number;
  latency: LatencySummary;
}

/** Hebei in this process: what `yiban serve` runs (app, outbox worker, ledger sequencer), plus the baseline's handler. */
async function openSender(node: NodeSpec): Promise<{ platform: Platform; close(): Promise<void> }> {
  const config = loadConfig(node.env);
  const platform = await openPlatform(config, { codeSender: null, noticeSender: null });
  await platform.database.db.execute(
    sql`create table if not exists bench_fed_local (event_id bigint primary key, at timestamptz not null default clock_timestamp())`,
  );
  const local: EventHandler = {
    name: 'bench.federation.local',
    topics: [LOCAL_TOPIC],
    handle: async (event, handling) => {
      await platform.database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into bench_fed_local (event_id) values (${event.id})`);
        await handling.markHandled(tx);
      });
    },
  };
  platform.services.events.subscribe(local);
  const app = await buildApp(platform, { logLevel: 'silent', publicUrl: config.publicUrl });
  await app.listen({ host: '127.0.0.1', port: node.port });
  const sequencer = platform.services.ledger.startSequencer({ onError: (e) => console.error('sequencer', e) });
  const stopEvents = platform.services.events.start({ intervalMs: 100, pipelines: 2, batchSize: 16, onError: () => {} });
  // The directory from the hub (a first attempt may meet a connection the hub's restart closed).
  await until(
    'the directory from the hub',
    async () => {
      try {
        await platform.services.federation.directory.refresh();
        return true;
      } catch (error) {
        console.error(`directory refresh: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    },
    120_000,
    1000,
  );
  return {
    platform,
    close: async () => {
      await app.close();
      await sequencer.stop();
      await stopEvents();
      await platform.close();
    },
  };
}

async function rows<T extends Record<string, unknown>>(platform: Platform, q: ReturnType<typeof sql>): Promise<T[]> {
  return (await platform.database.db.execute<T>(q)).rows;
}

/** `senders` loops, each sending one and waiting for it before the next, `total` in all; the ids sent. */
async function paced(senders: number, total: number, sendOne: () => Promise<string>, done: (id: string) => Promise<boolean>) {
  const ids: string[] = [];
  let left = total;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (left > 0) {
        left--;
        const id = await sendOne();
        ids.push(id);
        await until(`message ${id} done`, async () => (await done(id)) || undefined, 300_000, 5);
      }
    }),
  );
  return { ids, seconds: (performance.now() - t0) / 1000 };
}

function run(label: string, latencies: number[], seconds: number): Run {
  return { label, messages: latencies.length, seconds, perSecond: latencies.length / seconds, latency: summarise(latencies) };
}

export async function benchFederation(o: {
  senders: number;
  paced: number;
  bulk: number;
  cases: number;
  killAt: number;
  restartMs: number;
  log: (line: string) => void;
}) {
  const { log } = o;
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-bench-federation-'));
  // Each province its own master key (nodeSpec draws one): the applicant's ID number travels in the message.
  const hub = await nodeSpec('hub', 'hub', HUB_ID, undefined, dir, QUIET);
  const hebei = await nodeSpec('hebei', 'province', HEBEI.memberId, hub.url, dir, QUIET);
  const guangxi = await nodeSpec('guangxi', 'province', GUANGXI.memberId, hub.url, dir, QUIET);
  let sender: Awaited<ReturnType<typeof openSender>> | undefined;
  const results: Run[] = [];
  try {
    log(`federation bench: ${loadLine()}`);
    await start(hub);
    await Promise.all([seedProvince(hebei, HEBEI), seedProvince(guangxi, GUANGXI)]);
    await stopAll([hub]);
    await approveMembers(hub, [HEBEI.memberId, GUANGXI.memberId]);
    await start(hub);
    await start(guangxi);
    sender = await openSender(hebei);
    const { platform } = sender;
    const fed = platform.services.federation;
    log(`  nodes up; ${loadLine()}`);

    // Warm-up: the first message resolves Guangxi in the directory, opens the connection, verifies its key.
    const warm = await fed.sendNow(GUANGXI.memberId, 'ping', {});
    await until('the warm-up ping', async () => (await fed.receipt('out', warm.id))?.status === 'delivered' || undefined, 120_000, 20);

    // Baseline: a plain outbox event on the same node, paced and in bulk.
    const localDone = async (id: string) =>
      (await rows<{ n: number }>(platform, sql`select 1 as n from bench_fed_local where event_id = ${id}`)).length > 0;
    const enqueue = () =>
      platform.database.db.transaction((tx) => platform.services.events.enqueue(tx, { topic: LOCAL_TOPIC, payload: {} }));
    const localLatency = async (ids: string[]) =>
      (
        await rows<{ ms: number }>(
          platform,
          sql`select extract(epoch from (e.at - o.created_at)) * 1000 as ms from bench_fed_local e join outbox o on o.id = e.event_id
              where e.event_id = any(${sql.param(ids.map(Number))}::bigint[])`,
        )
      ).map((r) => Number(r.ms));
    const localPaced = await paced(o.senders, o.paced, async () => String(await enqueue()), localDone);
    results.push(
      run(`baseline: local outbox event, ${o.senders} senders one at a time`, await localLatency(localPaced.ids), localPaced.seconds),
    );
    let t0 = performance.now();
    const bulkIds: string[] = [];
    await platform.database.db.transaction(async (tx) => {
      for (let i = 0; i < o.bulk; i++)
        bulkIds.push(String(await platform.services.events.enqueue(tx, { topic: LOCAL_TOPIC, payload: {} })));
    });
    await until(
      'the bulk local events handled',
      async () => {
        const [r] = await rows<{ n: number }>(
          platform,
          sql`select count(*) as n from bench_fed_local where event_id = any(${sql.param(bulkIds.map(Number))}::bigint[])`,
        );
        return Number(r!.n) === o.bulk || undefined;
      },
      600_000,
      50,
    );
    results.push(
      run(`baseline: local outbox event, ${o.bulk} in one transaction`, await localLatency(bulkIds), (performance.now() - t0) / 1000),
    );

    // Federation: pings Hebei → Guangxi, paced and in bulk (latencies from Guangxi's database at the end).
    const delivered = async (id: string) => (await fed.receipt('out', id))?.status === 'delivered';
    const fedPaced = await paced(o.senders, o.paced, async () => (await fed.sendNow(GUANGXI.memberId, 'ping', {})).id, delivered);
    t0 = performance.now();
    const fedBulk: string[] = [];
    await platform.database.db.transaction(async (tx) => {
      for (let i = 0; i < o.bulk; i++) fedBulk.push((await fed.send(tx, GUANGXI.memberId, 'ping', {})).id);
    });
    await until(
      'the bulk pings delivered',
      async () => {
        const [r] = await rows<{ n: number }>(
          platform,
          sql`select count(*) as n from federation_messages where direction = 'out' and status = 'delivered' and id = any(${sql.param(fedBulk)}::uuid[])`,
        );
        return Number(r!.n) === o.bulk || undefined;
      },
      600_000,
      50,
    );
    const fedBulkSeconds = (performance.now() - t0) / 1000;
    log(`  messages done; ${loadLine()}`);

    // 1,000 cross-province cases in flight while Guangxi is killed and started again.
    const { token } = await platform.services.identity.login({
      kind: 'staff',
      username: HEBEI.clerk,
      password: DEMO_PASSWORD,
      channel: 'web',
    });
    const clerk = (await platform.services.identity.authenticate(token))!;
    const applicant = GUANGXI.residents[0]!;
    const handedOutCount = async () =>
      Number(
        (
          await rows<{ n: number }>(
            platform,
            sql`select count(*) as n from federation_messages where direction = 'out' and type = 'case.handover' and status = 'delivered'`,
          )
        )[0]!.n,
      );
    let killed = false;
    let restart: Promise<void> = Promise.resolve();
    let restartSeconds = 0;
    const watcher = (async () => {
      await until('the kill point', async () => (await handedOutCount()) >= o.cases * o.killAt || undefined, 600_000, 50);
      await kill(guangxi);
      killed = true;
      log(`  Guangxi killed after ${await handedOutCount()} hand-overs delivered`);
      await sleep(o.restartMs);
      const t = performance.now();
      restart = start(guangxi).then(() => {
        restartSeconds = (performance.now() - t) / 1000;
      });
      await restart;
    })();
    t0 = performance.now();
    const caseIds: string[] = [];
    for (let i = 0; i < o.cases; i++) {
      const handed = await platform.services.crossCases.handOver(clerk, {
        to: GUANGXI.memberId,
        serviceCode: 'cert.residence',
        form: { address: GUANGXI.address, residentSince: '2015-05-01', purpose: 'school' },
        residentId: applicant.residentId,
      });
      caseIds.push(handed.id);
    }
    const sentSeconds = (performance.now() - t0) / 1000;
    await watcher;
    await until(
      `all ${o.cases} cases accepted back in Hebei`,
      async () => {
        const [r] = await rows<{ n: number }>(
          platform,
          sql`select count(*) as n from federation_cases where side = 'sender' and state = 'accepted'`,
        );
        return Number(r!.n) === o.cases || undefined;
      },
      900_000,
      250,
    );
    const casesSeconds = (performance.now() - t0) / 1000;
    log(`  cases done; ${loadLine()}`);
    const hebeiCounts = await rows<{ type: string; status: string; n: number }>(
      platform,
      sql`select type, status, count(*) as n from federation_messages where type like 'case.%' group by type, status, direction order by 1, 2`,
    );
    const handovers = await rows<{ id: string; attempts: number }>(
      platform,
      sql`select id::text as id, attempts from federation_messages where direction = 'out' and type = 'case.handover'`,
    );
    const accepted = await rows<{ n: number }>(
      platform,
      sql`select count(distinct id) as n from federation_messages where direction = 'in' and type = 'case.accepted'`,
    );

    await sender.close();
    sender = undefined;
    await stopAll([guangxi, hub]);

    // Guangxi's side, from its database.
    const gx = await openDatabase({ engine: 'pglite', dataDir: path.join(dir, 'guangxi') });
    try {
      const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) => (await gx.db.execute<T>(query)).rows;
      const appliedAt = new Map(
        (
          await q<{ id: string; at: number }>(
            sql`select id::text as id, extract(epoch from done_at) * 1000 as at from federation_messages where direction = 'in'`,
          )
        ).map((r) => [r.id, Number(r.at)]),
      );
      const hb = await openDatabase({ engine: 'pglite', dataDir: path.join(dir, 'hebei') });
      let created: Map<string, number>;
      try {
        created = new Map(
          (
            await hb.db.execute<{ id: string; at: number }>(
              sql`select id::text as id, extract(epoch from created) * 1000 as at from federation_messages where direction = 'out'`,
            )
          ).rows.map((r) => [r.id, Number(r.at)]),
        );
      } finally {
        await hb.close();
      }
      const latency = (ids: string[]) => ids.map((id) => appliedAt.get(id)! - created.get(id)!);
      results.push(run(`federation ping Hebei → Guangxi, ${o.senders} senders one at a time`, latency(fedPaced.ids), fedPaced.seconds));
      const bulkLatency = latency(fedBulk);
      results.push(run(`federation ping Hebei → Guangxi, ${o.bulk} in one transaction`, bulkLatency, fedBulkSeconds));

      const lost = handovers.filter((h) => !appliedAt.has(h.id)).length;
      const perHandover = await q<{ n: number }>(
        sql`select count(*) as n from federation_cases where side = 'receiver' group by handover_message_id`,
      );
      const twiceRows = perHandover.reduce((s, r) => s + Number(r.n) - 1, 0);
      const [cases] = await q<{ n: number }>(sql`select count(*) as n from cases`);
      const twiceCases = Number(cases!.n) - perHandover.length;
      const retried = handovers.filter((h) => Number(h.attempts) > 1).length;

      log('');
      log(
        table([
          ['run', 'messages', 'seconds', 'per second', 'p50 ms', 'p99 ms', 'max ms'],
          ...results.map((r) => [
            r.label,
            r.messages,
            r.seconds.toFixed(2),
            r.perSecond.toFixed(0),
            ms(r.latency.p50),
            ms(r.latency.p99),
            ms(r.latency.max),
          ]),
        ]),
      );
      const ratio = (a: number, b: number) => `${(results[a]!.perSecond / results[b]!.perSecond).toFixed(2)}×`;
      log(`  federation / local outbox: paced ${ratio(2, 0)} the rate, bulk ${ratio(3, 1)} the rate`);
      log('');
      log(
        `  ${o.cases} cross-province cases (case.handover), Guangxi killed (SIGKILL) once ${Math.round(o.killAt * 100)} % were delivered, started again ${o.restartMs} ms later (up in ${restartSeconds.toFixed(1)} s)`,
      );
      log(
        `    handed over in ${sentSeconds.toFixed(1)} s; all accepted back in Hebei after ${casesSeconds.toFixed(1)} s (${(o.cases / casesSeconds).toFixed(1)} cases/s round trip, the outage included)`,
      );
      log(`    hand-overs retried (more than one attempt): ${retried}; killed: ${killed}`);
      log(
        `    lost (sent, not recorded at Guangxi): ${lost}; applied twice: ${twiceRows} rows, ${twiceCases} cases; case.accepted received in Hebei: ${Number(accepted[0]!.n)} of ${o.cases}`,
      );
      log(`    Hebei's case messages by type and status: ${hebeiCounts.map((c) => `${c.type} ${c.status} ${c.n}`).join(', ')}`);
      log(`  ${loadLine()}`);
      return { results, lost, twiceRows, twiceCases, accepted: Number(accepted[0]!.n), casesSeconds, restartSeconds };
    } finally {
      await gx.close();
    }
  } finally {
    if (sender) await sender.close().catch(() => {});
    await stopAll([hub, guangxi]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const program = new Command()
  .option('--senders <n>', 'senders, each one message at a time', '8')
  .option('--paced <n>', 'messages in all, paced', '400')
  .option('--bulk <n>', 'messages in one transaction', '1000')
  .option('--cases <n>', 'cross-province cases in flight across the restart', '1000')
  .option('--kill-at <fraction>', 'kill Guangxi once this share of hand-overs is delivered', '0.3')
  .option('--restart-ms <ms>', 'start it again after', '1000')
  .parse();
const opts = program.opts<Record<string, string>>();
await benchFederation({
  senders: Number(opts.senders),
  paced: Number(opts.paced),
  bulk: Number(opts.bulk),
  cases: Number(opts.cases),
  killAt: Number(opts.killAt),
  restartMs: Number(opts.restartMs),
  log: console.log,
});
