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

  // The console's 成员审批 and these commands call the same service (the operator at the hub's machine needs no login).
  const decisions = [
    [
      'approve',
      '已核准 approved',
      '（中枢）核准成员申请或密钥变更：国家根交叉签名其根证书，并在目录中公布 (hub) approve requests or key changes',
    ],
    ['reject', '已驳回 rejected', '（中枢）驳回成员申请或密钥变更 (hub) reject requests or key changes'],
    [
      'revoke',
      '已撤销 revoked',
      '（中枢）撤销成员：移出目录与信任列表，其报文被拒绝 (hub) revoke members: they leave the directory and trust list',
    ],
  ] as const;
  for (const [name, done, description] of decisions)
    federation
      .command(name)
      .description(description)
      .argument('<member...>', 'member ids, e.g. CN/GOV/130000/yiban')
      .action(async (members: string[]) => {
        await withFederation(open, async (f) => {
          for (const m of members) {
            await f.members[name]('operator', m);
            console.log(`${done}: ${m}`);
          }
        });
      });

  federation
    .command('pending')
    .description('（中枢）待审批的成员申请与密钥变更 (hub) requests and key changes waiting for approval')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withFederation(open, (f) => f.members.list('operator', 'pending'));
      if (options.json) console.log(JSON.stringify(rows, null, 2));
      else
        for (const r of rows) {
          const what = r.keyChange ? `key change → ${r.keyChange.keyId} (${r.keyChange.fingerprint.slice(0, 16)}…)` : 'join';
          console.log(`${r.memberId.padEnd(24)} ${what}  ${r.endpoint}  root ${r.rootSubject}`);
        }
    });

  federation
    .command('rotate-key')
    .description('（省级）更换报文签名密钥：生成新密钥，以旧密钥签名变更申请；中枢核准后改用新密钥 (province) roll the message key')
    .action(async () => {
      const result = await withFederation(open, (f) => f.rotateKey());
      console.log(
        `新密钥 new key: ${result.newKeyId}（旧密钥 old key ${result.oldKeyId} 签名的申请 request signed by it）→ ${result.status}`,
      );
      console.log(`  待中枢核准 waiting for the hub operator: yiban federation approve ${result.memberId}`);
      console.log('  核准前仍用旧密钥签名 the old key signs until the directory lists the new one');
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
