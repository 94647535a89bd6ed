import type { Command } from 'commander';
import type { WitnessService } from './witness-service.ts';

/** What the witness commands need of the platform. */
export interface WitnessPlatform {
  services: { witness: WitnessService };
  close(): Promise<void>;
}

async function withWitness<T>(open: () => Promise<WitnessPlatform>, run: (witness: WitnessService) => Promise<T>): Promise<T> {
  const platform = await open();
  try {
    return await run(platform.services.witness);
  } finally {
    await platform.close();
  }
}

/**
 * `yiban witness …`: this node as a witness of other logs (C2SP tlog-witness, push model, served
 * by `yiban serve` at /witness/add-checkpoint): its key, the logs it witnesses, the split-view
 * findings, and a comparison with peer witnesses.
 */
export function registerWitnessCommands(program: Command, openPlatform: () => Promise<WitnessPlatform>): void {
  const witness = program.command('witness').description('见证其他账本 witness other logs (C2SP tlog-witness add-checkpoint)');

  witness
    .command('vkey')
    .description('本节点见证方公钥 this witness key (cosignature/v1 vkey), for logs to register')
    .action(async () => {
      console.log(await withWitness(openPlatform, (w) => w.vkey()));
    });

  const log = witness.command('log').description('被见证的账本 the logs this node witnesses');
  log
    .command('add <vkey>')
    .description('添加被见证账本 witness a log, by its Ed25519 vkey (the key name is its origin)')
    .option('--url <url>', "the log's base URL (tiles at <url>/ledger/tile/…), to check peers' checkpoints of other sizes")
    .action(async (vkey: string, options: { url?: string }) => {
      const result = await withWitness(openPlatform, (w) => w.addLog(vkey, options.url ? { url: options.url } : {}));
      console.log(`${result.created ? 'added' : 'already witnessed'}: ${result.origin}`);
    });
  log
    .command('remove <origin>')
    .description('停止见证 stop witnessing a log')
    .action(async (origin: string) => {
      await withWitness(openPlatform, (w) => w.removeLog(origin));
      console.log(`removed: ${origin}`);
    });
  log
    .command('list')
    .description('列出被见证账本 list the witnessed logs and the size last cosigned')
    .action(async () => {
      for (const l of await withWitness(openPlatform, (w) => w.listLogs()))
        console.log(`${l.vkey}  size ${l.size}${l.url ? `  ${l.url}` : ''}`);
    });

  witness
    .command('findings')
    .description('分叉证据 split-view findings: two signed checkpoints of one log that cannot both be true')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const findings = await withWitness(openPlatform, (w) => w.findings());
      if (options.json) {
        console.log(JSON.stringify(findings, null, 2));
        return;
      }
      if (findings.length === 0) console.log('没有发现 no findings');
      for (const f of findings) {
        console.log(`#${f.id} ${f.kind} ${f.origin} (${f.source}, ${f.createdAt.toISOString()}): ${f.detail}`);
        console.log(`--- held\n${f.heldNote}--- other\n${f.otherNote}`);
      }
    });

  witness
    .command('gossip <peer...>')
    .description("与其他见证方比对 compare each log's cosigned checkpoint with peer witnesses' (<peer>/witness)")
    .option('--json', 'print JSON')
    .action(async (peers: string[], options: { json?: boolean }) => {
      const results = await withWitness(openPlatform, async (w) => (await Promise.all(peers.map((p) => w.gossip(p)))).flat());
      if (options.json) console.log(JSON.stringify(results, null, 2));
      else for (const r of results) console.log(`${r.status.padEnd(13)} ${r.origin} ← ${r.peer}: ${r.detail}`);
      if (results.some((r) => r.status === 'SPLIT_VIEW')) process.exitCode = 3;
    });
}
