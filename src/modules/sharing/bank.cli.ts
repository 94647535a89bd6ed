import { Option, type Command } from 'commander';
import { createBankServer } from './bank-server.ts';
import {
  addServeOptions,
  collect,
  listenUntilStopped,
  signedServerOptions,
  writeKeyPair,
  type SignedServeOptions,
} from './signed-server.cli.ts';

/** `yiban bank`: the paying bank's own system, for the external payment rail (bank-server.ts). */
export function registerBankCommands(program: Command): void {
  const bank = program.command('bank').description('代发银行系统（签名 HTTP，RFC 9421） the paying bank system over signed HTTP');

  bank
    .command('keygen')
    .description('生成银行的签名密钥（Ed25519 或 SM2） make a bank signing key pair (Ed25519 or SM2)')
    .requiredOption('--out <dir>', 'folder for bank.key.pem (PKCS#8) and bank.pub.pem (SPKI)')
    .addOption(
      new Option(
        '--key-alg <alg>',
        'ed25519, or sm2 (SM2 with SM3, 国密 GM/T 0003/0009: the platform then signs to the bank with its SM2 key)',
      )
        .choices(['ed25519', 'sm2'])
        .default('ed25519'),
    )
    .action((options: { out: string; keyAlg: 'ed25519' | 'sm2' }) => writeKeyPair(options, { name: 'bank', keyIdPrefix: 'bank' }));

  const serve = bank
    .command('serve')
    .description('启动代发银行系统 run the paying bank system')
    .requiredOption(
      '--key <file>',
      "the bank's private key, Ed25519 or SM2 (PKCS#8 PEM, or SEC1 for SM2): answers are signed with its algorithm",
    )
    .option('--trust <file>', 'a platform public key (PEM) to accept; repeatable', collect, [])
    .option('--name <name>', "the bank's name", '代发银行');
  addServeOptions(serve, { owner: 'bank', request: 'instruction', requests: 'instructions' })
    .option('--down', 'fault injection: answer every instruction with 503')
    .action(async (options: SignedServeOptions & { name: string; down?: boolean }) => {
      const settings = signedServerOptions(options, { name: options.name, keyIdPrefix: 'bank' });
      const { server } = createBankServer({ ...settings, down: options.down ?? false });
      await listenUntilStopped(server, { host: options.host, port: options.port, keyId: settings.key.keyId });
    });
}
