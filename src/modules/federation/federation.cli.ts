import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { FederationService } from './federation.service.ts';
import type { PublishedCheckpoint } from './witnessing.ts';

/** What the federation commands need of the platform. */
export interface FederationPlatform {
  services: { federation: FederationService };
  close(): Promise<void>;
}

async function withFederation<T>(open: () => Promise<FederationPlatform>, run: (f: FederationService) => Promise<T>): Promise<T> {
  const platform = await open();
  try {
    return await run(platform.services.federation);
  } finally {
    await platform.close();
  }
}

/**
 * `yiban federation …` (跨省通办): a province asks the hub to join, the hub operator approves,
 * either side shows the directory, and an operator sends a ping. Run with the node's own
 * configuration (YIBAN_NODE_ROLE, YIBAN_MEMBER_ID, YIBAN_HUB_URL and its database).
 */
export function registerFederationCommands(program: Command, open: () => Promise<FederationPlatform>): void {
  const federation = program
    .command('federation')
    .description('跨省通办联邦：加入、核准、成员目录、连通测试 federation of nodes: join, approve, directory, ping');

  federation
    .command('join')
    .description('向联邦中枢申请加入（固定中枢公钥，以本节点密钥签名）ask the hub to join: pins the hub key, signs with this node’s key')
    .option('--hub <url>', 'the hub’s base URL (default YIBAN_HUB_URL)')
    .option('--hub-key-id <id>', 'refuse a hub whose key id is not this one (compare with the hub operator’s)')
    .action(async (options: { hub?: string; hubKeyId?: string }) => {
      if (options.hub) process.env.YIBAN_HUB_URL = options.hub;
      const result = await withFederation(open, (f) => f.join(options.hubKeyId ? { expectedHubKeyId: options.hubKeyId } : {}));
      console.log(`已固定中枢 hub pinned: ${result.hub.memberId} key ${result.hub.keyId}`);
      console.log(`申请已提交 request sent: ${result.memberId} (key ${result.keyId}) → ${result.status}`);
      if (result.status !== 'approved')
        console.log(`  待中枢核准 waiting for the hub operator: yiban federation approve ${result.memberId}`);
    });

  federation
    .command('approve')
    .description('（中枢）核准成员：国家根交叉签名其根证书，并在目录中公布 (hub) approve members: cross-sign their roots, publish them')
    .argument('<member...>', 'member ids, e.g. CN/GOV/130000/yiban')
    .action(async (members: string[]) => {
      await withFederation(open, async (f) => {
        for (const m of members) {
          await f.directory.approve(m);
          console.log(`已核准 approved: ${m}`);
        }
      });
    });

  federation
    .command('directory')
    .description('成员目录（省级节点先从中枢刷新并验签）the member directory (a province refreshes and verifies it first)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withFederation(open, async (f) => {
        if (f.role === 'province') await f.directory.refresh();
        const approved = new Map(((await f.directory.current())?.members ?? []).map((m) => [m.memberId, m]));
        const all = f.role === 'hub' ? await f.directory.members() : [...approved.values()].map((m) => ({ ...m, status: 'approved' }));
        return all.map((m) => ({ ...m, keys: approved.get(m.memberId)?.keys.map((k) => k.keyId) ?? [] }));
      });
      if (options.json) console.log(JSON.stringify(rows, null, 2));
      else
        for (const r of rows) console.log(`${r.memberId.padEnd(24)} ${r.status.padEnd(9)} ${r.endpoint}  ${r.name}  ${r.keys.join(' ')}`);
    });

  federation
    .command('trust-list')
    .description('全国信任列表（中枢签名）the national trust list, signed by the hub: for yiban verify --trust-list')
    .requiredOption('--out <file>', 'where to write it')
    .action(async (options: { out: string }) => {
      const list = await withFederation(open, async (f) => {
        if (f.role === 'province') await f.directory.refresh();
        return f.directory.trustList();
      });
      if (!list) throw new Error('no trust list yet');
      writeFileSync(options.out, JSON.stringify(list, null, 2) + '\n');
      console.log(`${options.out}: ${list.document.provinces.length} provinces`);
    });

  federation
    .command('send-ping')
    .description('向成员发送 ping（经本节点发件箱投递）send a ping to a member, delivered by this node’s outbox')
    .argument('<member>', 'the recipient’s member id')
    .action(async (member: string) => {
      const { id } = await withFederation(open, async (f) => {
        if (f.role === 'province' && !(await f.lookup.find(member))) await f.directory.refresh();
        return f.sendNow(member, 'ping', {});
      });
      console.log(id);
    });

  federation
    .command('checkpoints')
    .description('中枢公布的各成员互证检查点及分叉证据 the hub’s published view: each member’s cosigned checkpoint, equivocations')
    .option('--hub <url>', 'the hub’s base URL (default YIBAN_HUB_URL, or YIBAN_PUBLIC_URL on the hub)')
    .option('--json', 'print JSON')
    .action(async (options: { hub?: string; json?: boolean }) => {
      // Over HTTP, not through the database: the node's server may hold it (PGlite), and the view is the hub's.
      const base = options.hub ?? process.env.YIBAN_HUB_URL ?? process.env.YIBAN_PUBLIC_URL;
      if (!base) throw new Error('no hub URL: --hub, YIBAN_HUB_URL or YIBAN_PUBLIC_URL');
      const response = await fetch(`${base.replace(/\/+$/, '')}/api/federation/checkpoints`, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`the hub answered HTTP ${response.status}`);
      const view = (await response.json()) as { members: PublishedCheckpoint[] };
      if (options.json) {
        console.log(JSON.stringify(view, null, 2));
        return;
      }
      for (const m of view.members) {
        const state = m.equivocating ? '分叉 EQUIVOCATING' : 'ok';
        console.log(
          `${m.memberId.padEnd(24)} ${state.padEnd(17)} size ${String(m.size ?? '-').padEnd(6)} cosigned by ${m.cosigners.join(', ') || '-'}`,
        );
        for (const e of m.evidence) console.log(`  ${e.kind}: ${e.detail}`);
      }
    });
}
