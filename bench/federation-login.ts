/**
 * Hub login throughput (统一身份认证, issue 16): full OpenID Connect logins of real-name residents
 * registered at the hub into a province node, each one as a fresh browser does it end to end:
 * the province's authorization request, the hub's login page and password form, consent when the
 * hub asks, the code back to the province's callback, the province's token exchange at the hub
 * and its new session answering /api/me (bench/support/oidc-browser.ts).
 *
 * The hub and the province (Guangxi) run as `yiban serve` processes, each with its own PGlite
 * database on 127.0.0.1, set up as the federation benchmark sets them up (src/demo/
 * node-processes.ts, federation-seed.ts); the province is the hub's registered OIDC client, and
 * `--users` residents are registered at the hub only. `--users` loops, each logging its resident in
 * again and again, one login at a time, `--logins` in all. The login rate limits are raised on both
 * nodes (every request comes from 127.0.0.1); everything else is as deployed.
 *
 *   npx tsx bench/federation-login.ts [--users 8] [--logins 400]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../src/core/config.ts';
import { openPlatform } from '../src/platform.ts';
import { makeResidentId } from '../src/modules/identity/index.ts';
import { DEMO_PASSWORD } from '../src/demo/demo-people.ts';
import { GUANGXI, HUB_ID, seedProvince } from '../src/demo/federation-seed.ts';
import { nodeSpec, start, stopAll, type NodeSpec } from '../src/demo/node-processes.ts';
import { loginThroughHub } from './support/oidc-browser.ts';
import { loadLine } from './support/machine.ts';
import { summarise } from './support/stats.ts';

const UNLIMITED = '1000000/1m';
const QUIET = {
  // Cross-witnessing once an hour: its reports to the hub are not logins.
  YIBAN_FEDERATION_WITNESS_MS: '3600000',
  YIBAN_RATE_LOGIN_PER_ADDRESS: UNLIMITED,
  YIBAN_RATE_LOGIN_PER_ACCOUNT: UNLIMITED,
};
const CLIENT_ID = 'guangxi';

/** With the hub stopped (one process per PGlite database): approve the province, register it as a client, register the residents. */
async function prepareHub(hub: NodeSpec, province: NodeSpec, users: number): Promise<{ secret: string; residentIds: string[] }> {
  const platform = await openPlatform(loadConfig(hub.env), { codeSender: null, noticeSender: null });
  try {
    const { services } = platform;
    await services.federation.directory.approve(GUANGXI.memberId);
    if (!services.oidcClients) throw new Error('the hub has no OpenID Connect provider');
    const { clientSecret } = await services.oidcClients.add({
      clientId: CLIENT_ID,
      name: GUANGXI.name,
      redirectUris: [`${province.url}/api/auth/oidc/callback`],
    });
    const residentIds: string[] = [];
    for (let i = 0; i < users; i++) {
      const residentId = makeResidentId('450821', '1990-01-01', 100 + i);
      await services.identity.registerResident({
        // Chinese characters only: 韦一零零, 韦一零一, …
        name: `韦${[...String(100 + i)].map((d) => '零一二三四五六七八九'[Number(d)]).join('')}`,
        residentId,
        phone: `139775${String(i).padStart(5, '0')}`,
        password: DEMO_PASSWORD,
      });
      residentIds.push(residentId);
    }
    return { secret: clientSecret, residentIds };
  } finally {
    await platform.close();
  }
}

export async function benchFederationLogin(o: { users: number; logins: number; log: (line: string) => void }) {
  if (!(o.users >= 1 && o.users <= 800 && o.logins >= o.users)) throw new Error('--users from 1 to 800, --logins at least --users');
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-bench-federation-login-'));
  const hub = await nodeSpec('hub', 'hub', HUB_ID, undefined, dir, QUIET);
  const province = await nodeSpec('guangxi', 'province', GUANGXI.memberId, hub.url, dir, QUIET);
  try {
    o.log(`federation login bench: ${loadLine()}`);
    await start(hub);
    await seedProvince(province, GUANGXI);
    await stopAll([hub]);
    const { secret, residentIds } = await prepareHub(hub, province, o.users);
    Object.assign(province.env, {
      YIBAN_OIDC_ISSUER_URL: `${hub.url}/oidc`,
      YIBAN_OIDC_CLIENT_ID: CLIENT_ID,
      YIBAN_OIDC_CLIENT_SECRET: secret,
    });
    await start(hub);
    await start(province);
    o.log(`  nodes up; ${loadLine()}`);

    // Warm-up: each resident's first login creates their account at the province (and the discovery, keys, connections).
    const accounts = new Map<string, string>();
    for (const residentId of residentIds)
      accounts.set(residentId, (await loginThroughHub(province.url, hub.url, { residentId, password: DEMO_PASSWORD })).accountId);

    const latencies: number[] = [];
    let left = o.logins;
    let wrongPerson = 0;
    const t0 = performance.now();
    await Promise.all(
      residentIds.map(async (residentId) => {
        while (left > 0) {
          left--;
          const t = performance.now();
          const { accountId } = await loginThroughHub(province.url, hub.url, { residentId, password: DEMO_PASSWORD });
          latencies.push(performance.now() - t);
          // The same person on every login (the province keys them by their ID number).
          if (accountId !== accounts.get(residentId)) wrongPerson++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const latency = summarise(latencies);
    const round = (v: number) => Math.round(v * 10) / 10;
    const result = {
      bench: 'federation-login',
      users: o.users,
      logins: latencies.length,
      seconds: round(seconds),
      loginsPerSecond: round(latencies.length / seconds),
      latencyMs: {
        p50: round(latency.p50),
        p90: round(latency.p90),
        p99: round(latency.p99),
        max: round(latency.max),
        mean: round(latency.mean),
      },
      wrongPerson,
      load: loadLine(),
    };
    o.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await stopAll([hub, province]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const program = new Command()
  .option('--users <n>', 'residents logging in concurrently, each one login at a time', '8')
  .option('--logins <n>', 'logins in all', '400')
  .parse();
const opts = program.opts<Record<string, string>>();
await benchFederationLogin({ users: Number(opts.users), logins: Number(opts.logins), log: console.log });
