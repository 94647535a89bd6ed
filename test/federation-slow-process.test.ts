import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePort, nodeSpec, start, stop, until, type NodeSpec } from './federation-nodes.ts';
import { pgliteDataDirFromTemplate } from './db-template.ts';

/**
 * Issue 16, a slow node with real processes: Guangxi's public endpoint is a TCP relay in this test
 * that holds every answer back 7 s (longer than a delivery's 5 s limit) while `slow`, then relays
 * at once. A ping from Hebei to Guangxi is tried, times out (Guangxi applied it; the answer came
 * too late), is tried again once Guangxi is quick, and is answered from the first answer: delivered
 * once. Hebei's ping to the hub, sent at the same time, is not held back by it.
 */
const HUB = 'CN/GOV/000000/hub';
const HEBEI = 'CN/GOV/130000/yiban';
const GUANGXI = 'CN/GOV/450000/yiban';
const ANSWER_DELAY_MS = 7000;

/** A relay to `port` that delays what comes back by ANSWER_DELAY_MS while `slow` (per connection, set when it opens). */
async function delayingRelay(port: number) {
  let slow = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const delay = slow ? ANSWER_DELAY_MS : 0;
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    // The same delay for every chunk keeps their order (timers of one delay fire in order).
    upstream.on('data', (chunk: Buffer) =>
      delay === 0 ? client.write(chunk) : setTimeout(() => client.writable && client.write(chunk), delay),
    );
    upstream.on('end', () => setTimeout(() => client.end(), delay));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    setSlow: (value: boolean) => (slow = value),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('a slow node (separate processes)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-federation-slow-'));
  let hub: NodeSpec;
  let hebei: NodeSpec;
  let guangxi: NodeSpec;
  let relay: Awaited<ReturnType<typeof delayingRelay>>;

  beforeAll(async () => {
    hub = await nodeSpec('hub', 'hub', HUB, undefined, dir);
    hebei = await nodeSpec('hebei', 'province', HEBEI, hub.url, dir);
    const guangxiPort = await freePort();
    relay = await delayingRelay(guangxiPort);
    // Guangxi's endpoint in the directory is the relay.
    guangxi = await nodeSpec('guangxi', 'province', GUANGXI, hub.url, dir, { YIBAN_PUBLIC_URL: relay.url });
    guangxi.port = guangxiPort;
    guangxi.url = `http://127.0.0.1:${guangxiPort}`;
    // Their databases from the migrated template (test/db-template.ts): no initdb or migrations at each first start.
    for (const n of [hub, hebei, guangxi]) await pgliteDataDirFromTemplate(n.env.YIBAN_DATA_DIR!);
    await start(hub);
    await Promise.all([cli(hebei, ['federation', 'join']), cli(guangxi, ['federation', 'join'])]);
    await stop(hub);
    await cli(hub, ['federation', 'approve', HEBEI, GUANGXI]);
    await start(hub);
  }, 600_000);

  afterAll(async () => {
    for (const n of [hub, hebei, guangxi]) if (n) await stop(n);
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers to a node whose answers come late exactly once, and holds nothing else back', async () => {
    await start(guangxi);
    relay.setSlow(true);
    // Written by Hebei's CLI before its server starts: one ping to the slow Guangxi, one to the hub.
    const toGuangxi = (await cli(hebei, ['federation', 'send-ping', GUANGXI])).trim();
    const toHub = (await cli(hebei, ['federation', 'send-ping', HUB])).trim();
    const receipt = async (node: NodeSpec, direction: 'in' | 'out', id: string) => {
      const res = await fetch(`${node.url}/api/federation/messages/${direction}/${id}`);
      return res.ok ? ((await res.json()) as { status: string; attempts: number; lastError: string | null }) : undefined;
    };
    await start(hebei);
    // The hub's ping goes through while the slow one waits for its answer.
    await until('the ping to the hub', async () => (await receipt(hebei, 'out', toHub))?.status === 'delivered', 60_000);
    expect((await receipt(hebei, 'out', toGuangxi))?.status).toBe('pending');
    // The slow attempt runs out of time: Guangxi has it (applied), Hebei does not know yet.
    const timedOut = await until(
      'a timed-out attempt',
      async () => {
        const r = await receipt(hebei, 'out', toGuangxi);
        return r && r.attempts >= 1 && r.lastError ? r : undefined;
      },
      60_000,
    );
    expect(timedOut).toMatchObject({ status: 'pending' });
    expect(timedOut.lastError).toMatch(/no answer within 5000 ms/);
    expect(await receipt(guangxi, 'in', toGuangxi)).toMatchObject({ status: 'applied' });

    relay.setSlow(false);
    const delivered = await until(
      'delivery once Guangxi is quick',
      async () => {
        const r = await receipt(hebei, 'out', toGuangxi);
        return r?.status === 'delivered' ? r : undefined;
      },
      120_000,
    );
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    // Applied once: one row for the id at Guangxi, applied on the first (slow) attempt; the retry was answered from it.
    expect(await receipt(guangxi, 'in', toGuangxi)).toMatchObject({ status: 'applied', from: HEBEI, to: GUANGXI, type: 'ping' });
  }, 300_000);
});
