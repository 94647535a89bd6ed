import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createBankServer } from './bank-server.ts';
import { trustedKeys } from './external-department.ts';
import { keyIdOf, loadSharingKey, publicKeyPem } from './http-signature-keys.ts';

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
    .description('生成银行的 Ed25519 签名密钥 make a bank signing key pair')
    .requiredOption('--out <dir>', 'folder for bank.key.pem and bank.pub.pem')
    .action((options: { out: string }) => {
      mkdirSync(options.out, { recursive: true });
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(path.join(options.out, 'bank.key.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      writeFileSync(path.join(options.out, 'bank.pub.pem'), publicKeyPem(publicKey));
      console.log(JSON.stringify({ keyId: keyIdOf(publicKey, 'bank'), publicKey: publicKeyPem(publicKey) }, null, 2));
    });

  bank
    .command('serve')
    .description('启动代发银行系统 run the paying bank system')
    .requiredOption('--key <file>', "the bank's Ed25519 private key (PKCS#8 PEM)")
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
        const key = loadSharingKey(options.key, 'bank');
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
