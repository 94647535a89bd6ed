import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createBankServer } from './bank-server.ts';
import { newSigningKey, newSm2SigningKey, privateKeyPem } from './department-process.ts';
import { trustedKeys } from './signed-intake.ts';
import { loadSigningKey } from './http-signature-keys.ts';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
};
const collect = (v: string, prev: string[]) => [...prev, v];

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
    .action((options: { out: string; keyAlg: 'ed25519' | 'sm2' }) => {
      mkdirSync(options.out, { recursive: true });
      const key = options.keyAlg === 'sm2' ? newSm2SigningKey('bank') : newSigningKey('bank');
      writeFileSync(path.join(options.out, 'bank.key.pem'), privateKeyPem(key), { mode: 0o600 });
      writeFileSync(path.join(options.out, 'bank.pub.pem'), key.publicKeyPem);
      console.log(JSON.stringify({ keyId: key.keyId, alg: options.keyAlg, publicKey: key.publicKeyPem }, null, 2));
    });

  bank
    .command('serve')
    .description('启动代发银行系统 run the paying bank system')
    .requiredOption(
      '--key <file>',
      "the bank's private key, Ed25519 or SM2 (PKCS#8 PEM, or SEC1 for SM2): answers are signed with its algorithm",
    )
    .option('--trust <file>', 'a platform public key (PEM) to accept; repeatable', collect, [])
    .option('--name <name>', "the bank's name", '代发银行')
    .option('--port <port>', 'port (0: any free port)', int, 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--key-id <id>', "the bank key's id (default: derived from the key)")
    .option('--public-url <url>', 'scheme and authority the platform uses, when behind a TLS proxy')
    .option('--window <seconds>', 'accepted signature age; nonces are kept this long', int, 300)
    .option('--delay-ms <ms>', 'fault injection: answer every instruction this much later', int, 0)
    .option('--fail-first <n>', 'fault injection: answer the first n instructions with 503', int, 0)
    .option('--down', 'fault injection: answer every instruction with 503')
    .action(
      async (options: {
        key: string;
        trust: string[];
        name: string;
        port: number;
        host: string;
        keyId?: string;
        publicUrl?: string;
        window: number;
        delayMs: number;
        failFirst: number;
        down?: boolean;
      }) => {
        const key = loadSigningKey(options.key, 'bank');
        if (options.keyId) key.keyId = options.keyId;
        if (options.trust.length === 0) throw new InvalidArgumentError('name at least one --trust key');
        const { server } = createBankServer({
          name: options.name,
          key,
          trusted: trustedKeys(options.trust.map((f) => readFileSync(f, 'utf8'))),
          windowSeconds: options.window,
          ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
          delayMs: options.delayMs,
          failFirst: options.failFirst,
          down: options.down ?? false,
          log: (line) => console.log(line),
        });
        await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : options.port;
        // The first line says where it listens: tests wait for it.
        console.log(`listening on http://${options.host}:${port} key ${key.keyId}`);
        const stop = () => server.close(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
}
