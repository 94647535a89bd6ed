import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { checkMasterKey, databaseOptions } from '../platform.ts';
import { loadConfig, masterKeySource, readKeyFile } from '../core/config.ts';
import { masterKeyFingerprint } from '../core/sealing.ts';
import { openDatabase } from '../db/database.ts';
import { derivedSharingKey, derivedSm2SharingKey } from '../modules/sharing/index.ts';
import { rotateMasterKey } from './rotate-master-key.ts';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('密钥 keys');
  keys
    .command('rotate-master')
    .description(
      '更换主密钥：重新加密全部密文、重算全部带密钥的哈希（一个事务） rotate the master key: re-encrypt and re-hash everything, in one transaction',
    )
    .requiredOption('--new-key-file <file>', 'the new key: 32 bytes, base64 (e.g. openssl rand -base64 32 > new.key)')
    .action(async (options: { newKeyFile: string }) => {
      const config = loadConfig();
      const newKey = readKeyFile(options.newKeyFile);
      const database = await openDatabase(databaseOptions(config));
      let report;
      try {
        await database.migrate();
        await checkMasterKey(database, config.masterKey);
        console.error('请先停止所有使用此数据库的进程 / every app process on this database must be stopped first');
        report = await rotateMasterKey(database.db, config.masterKey, newKey);
      } finally {
        await database.close();
      }
      console.log(`主密钥已更换 master key rotated: fingerprint ${masterKeyFingerprint(newKey).slice(0, 16)}`);
      console.log(
        `  residents ${report.residents}, certificates ${report.certificates}, signing keys ${report.signingKeys}, ledger keys ${report.logKeys}, dataset records ${report.sharingRecords}, OIDC keys and client secrets ${report.oidcSecrets}, federation messages ${report.federationMessages}`,
      );
      if (masterKeySource() === 'file') {
        const file = path.join(config.dataDir, 'master.key');
        writeFileSync(file, newKey.toString('base64') + '\n', { mode: 0o600 });
        console.log(`  ${file} 已写入新主密钥 now holds the new key`);
      } else {
        console.log('  请把 YIBAN_MASTER_KEY 改为新主密钥后再启动 / set YIBAN_MASTER_KEY to the new key before the next start');
      }
      if (!config.sharingKeyFile) {
        console.log(
          `  注意 note: the platform's sharing key is derived from the master key; external departments must now trust key id ${derivedSharingKey(newKey).keyId} (or set YIBAN_SHARING_KEY_FILE)`,
        );
      }
      if (!config.sharingSm2KeyFile) {
        console.log(
          `  注意 note: the platform's SM2 sharing key is derived from the master key; departments with SM2 keys must now trust key id ${derivedSm2SharingKey(newKey).keyId} (\`yiban external-dept platform-key --key-alg sm2\` prints it; or set YIBAN_SHARING_SM2_KEY_FILE)`,
        );
      }
    });
}
