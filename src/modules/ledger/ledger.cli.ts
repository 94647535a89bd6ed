import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { createProgress } from '../../cli/progress.ts';
import { encodeBase64 } from '../../verify/tlog-bytes.ts';
import type { LedgerAdmin, LedgerService } from './ledger.service.ts';
import { generateWitnessKey, parseWitnessKey, witnessCosigner, witnessOnce, type WitnessState } from './witness.ts';

/** What the ledger commands need of the platform: its ledger service and admin (witnesses), and closing it. */
export interface LedgerPlatform {
  services: { ledger: LedgerService; ledgerAdmin: LedgerAdmin };
  close(): Promise<void>;
}

async function withLedger<T>(
  open: () => Promise<LedgerPlatform>,
  run: (ledger: LedgerService, admin: LedgerAdmin) => Promise<T>,
): Promise<T> {
  const platform = await open();
  try {
    return await run(platform.services.ledger, platform.services.ledgerAdmin);
  } finally {
    await platform.close();
  }
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
}

/**
 * `yiban ledger …`: audit, integrate, checkpoint, vkey, witness registration, and the witness
 * itself (which needs no database: it talks to a log over HTTP).
 */
export function registerLedgerCommands(program: Command, openPlatform: () => Promise<LedgerPlatform>): void {
  const ledger = program.command('ledger').description('透明账本 transparency ledger (RFC 9162, C2SP tlog-tiles)');

  ledger
    .command('audit')
    .description(
      '从存储的条目重算整棵树，核对瓦片与每个签名检查点 recompute the tree from the entries and check the tiles and every checkpoint',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await withLedger(openPlatform, async (service) => {
        const bar = options.json ? undefined : createProgress('审计 audit');
        try {
          return await service.audit({ onProgress: (done, total) => bar?.update(done, total) });
        } finally {
          bar?.stop();
        }
      });
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
      } else {
        console.log(
          `entries ${report.entries}, signed tree size ${report.treeSize}, checkpoints checked ${report.checkpoints}, ${report.millis} ms`,
        );
        for (const p of report.problems) console.log(`  ✗ ${p.kind}: ${p.message}`);
        if (report.problemCount > report.problems.length) console.log(`  … and ${report.problemCount - report.problems.length} more`);
        console.log(
          report.ok ? '审计通过 audit passed' : `审计发现 ${report.problemCount} 个问题 audit FAILED with ${report.problemCount} problems`,
        );
      }
      process.exitCode = report.ok ? 0 : 1;
    });

  ledger
    .command('integrate')
    .description('把新条目并入树并签发检查点 integrate new entries and sign a checkpoint')
    .action(async () => {
      const result = await withLedger(openPlatform, (service) => service.integrate());
      if (result.status === 'busy') console.log('another process is integrating');
      else console.log(`${result.status}: size ${result.checkpoint.size}, root ${encodeBase64(result.checkpoint.rootHash)}`);
    });

  ledger
    .command('checkpoint')
    .description('输出最新检查点 print the latest checkpoint (signed note)')
    .action(async () => {
      process.stdout.write((await withLedger(openPlatform, (service) => service.latestCheckpoint())).note);
    });

  ledger
    .command('vkey')
    .description('输出账本公钥 print the log key (C2SP vkey) to pin')
    .action(async () => {
      console.log(await withLedger(openPlatform, (service) => service.vkey()));
    });

  ledger
    .command('witness-add <vkey>')
    .description('登记见证方 register a witness (cosignature/v1 vkey)')
    .option('--url <url>', "push checkpoints to it: the witness's submission prefix (a Yiban node: <base>/witness)")
    .action(async (vkey: string, options: { url?: string }) => {
      const result = await withLedger(openPlatform, async (_service, admin) => {
        const registered = await admin.registerWitness(vkey);
        if (options.url) await admin.setWitnessUrl(registered.name, options.url);
        return registered;
      });
      console.log(
        `${result.created ? 'registered' : 'already registered'}: ${result.name}${options.url ? ` (push to ${options.url})` : ''}`,
      );
    });

  ledger
    .command('witness-push')
    .description('推送检查点给见证方 push the latest checkpoint to the witnesses with a URL now (yiban serve does it in the background)')
    .action(async () => {
      const results = await withLedger(openPlatform, (service) => service.pushToWitnesses());
      for (const r of results) console.log(`${r.status.padEnd(10)} ${r.witness} size ${r.size}${r.detail ? `: ${r.detail}` : ''}`);
      if (results.some((r) => r.status === 'FAILED')) process.exitCode = 1;
    });

  ledger
    .command('witness-remove <name>')
    .description('注销见证方 remove a witness')
    .action(async (name: string) => {
      await withLedger(openPlatform, (_service, admin) => admin.removeWitness(name));
      console.log(`removed: ${name}`);
    });

  ledger
    .command('witness-list')
    .description('列出见证方 list registered witnesses')
    .action(async () => {
      for (const w of await withLedger(openPlatform, (service) => service.listWitnesses())) console.log(w.vkey);
    });

  ledger
    .command('witness-keygen')
    .description('生成见证方密钥 create a witness key file and print its vkey (for the log to register)')
    .requiredOption('--name <name>', 'witness name, e.g. weijian.hebei.gov.example/witness')
    .requiredOption('--key <file>', 'where to write the private key (must not exist)')
    .action((options: { name: string; key: string }) => {
      const { keyFile, vkey } = generateWitnessKey(options.name);
      writeFileSync(options.key, keyFile, { mode: 0o600, flag: 'wx' });
      console.log(vkey);
    });

  ledger
    .command('witness')
    .description('作为见证方核验并联署检查点 witness a log: verify its checkpoint and consistency, then cosign')
    .requiredOption('--log <url>', "the log's base URL (serving /ledger/checkpoint)")
    .requiredOption('--name <name>', 'witness name (as in the key file)')
    .requiredOption('--key <file>', 'witness private key file (ledger witness-keygen)')
    .requiredOption('--state <file>', 'where the last verified checkpoint is kept')
    .option('--log-vkey <vkey>', "the log's pinned vkey (required on the first run; then kept in the state file)")
    .option('--interval <seconds>', 'keep running, one round every so many seconds', positive)
    .action(async (options: { log: string; name: string; key: string; state: string; logVkey?: string; interval?: number }) => {
      const key = parseWitnessKey(readFileSync(options.key, 'utf8'));
      if (key.name !== options.name) throw new InvalidArgumentError(`the key file is for ${key.name}, not ${options.name}`);
      const cosigner = witnessCosigner(key.name, key.seed);
      for (;;) {
        const state = existsSync(options.state) ? (JSON.parse(readFileSync(options.state, 'utf8')) as WitnessState) : null;
        const logVkey = options.logVkey ?? state?.logVkey;
        if (!logVkey) throw new InvalidArgumentError('--log-vkey is required on the first run (the log key to pin)');
        const outcome = await witnessOnce({ logUrl: options.log, logVkey, cosigner, state });
        if (outcome.status === 'REFUSED') {
          console.error(`拒绝联署 REFUSED to cosign (${outcome.reason}): ${outcome.message}`);
          process.exitCode = 2;
          return;
        }
        const tmp = `${options.state}.tmp`;
        writeFileSync(tmp, JSON.stringify(outcome.state, null, 2) + '\n');
        renameSync(tmp, options.state);
        const from = outcome.previousSize === null ? 'first checkpoint' : `consistent with size ${outcome.previousSize}`;
        if (outcome.submitError) {
          console.error(`cosigned size ${outcome.size} (${from}) but the log did not take it: ${outcome.submitError}`);
          process.exitCode = 1;
        } else {
          console.log(`已联署 cosigned size ${outcome.size} (${from})`);
        }
        if (!options.interval) return;
        await sleep(options.interval * 1000);
      }
    });
}
