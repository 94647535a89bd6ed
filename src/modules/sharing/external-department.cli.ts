import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { publicKeyToPem } from '../../verify/keys.ts';
import { newSigningKey, newSm2SigningKey, privateKeyPem } from './department-process.ts';
import { createDepartmentServer, type DepartmentDataset } from './external-department.ts';
import { trustedKeys } from './signed-intake.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import {
  derivedSharingKey,
  derivedSm2SharingKey,
  loadSharingKey,
  loadSigningKey,
  loadSm2SharingKey,
  signingKeyPem,
  verifyingKeyIdOf,
  verifyingKeyOf,
  type SigningKey,
  type Sm2SigningKey,
} from './http-signature-keys.ts';

/** What a department's dataset file holds: its name and, per dataset, the records by resident ID number. */
interface DatasetFile {
  name?: string;
  datasets: DepartmentDataset[];
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
};
const collect = (v: string, prev: string[]) => [...prev, v];

export interface AttachPlatform {
  services: { sharingAdmin: { setProvider(datasetCode: string, provider: ProviderConfig): Promise<void> } };
  close(): Promise<void>;
}

/** The platform's two sharing keys: Ed25519, and SM2 (made when first asked for: deriving it costs a k·G). */
export interface PlatformSharingKeys {
  ed25519: SigningKey;
  sm2: () => Sm2SigningKey;
}

const keyAlgOption = (what: string) =>
  new Option('--key-alg <alg>', `${what}: ed25519, or sm2 (SM2 with SM3, 国密 GM/T 0003/0009)`)
    .choices(['ed25519', 'sm2'])
    .default('ed25519');

/** A department's public key file as registered: SPKI PEM, or DER (kept as PEM). */
function readPublicKeyFile(file: string): string {
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  return text.includes('-----BEGIN') ? text : publicKeyToPem(new Uint8Array(bytes));
}

export function registerExternalDeptCommands(
  program: Command,
  platformKeys: () => PlatformSharingKeys,
  openPlatform: () => Promise<AttachPlatform>,
): void {
  const dept = program
    .command('external-dept')
    .description('外部部门系统（签名 HTTP，RFC 9421） an external department system over signed HTTP');

  dept
    .command('keygen')
    .description('生成部门的签名密钥（Ed25519 或 SM2） make a department signing key pair (Ed25519 or SM2)')
    .requiredOption('--out <dir>', 'folder for department.key.pem (PKCS#8) and department.pub.pem (SPKI)')
    .addOption(keyAlgOption('the key algorithm'))
    .action((options: { out: string; keyAlg: 'ed25519' | 'sm2' }) => {
      mkdirSync(options.out, { recursive: true });
      const key = options.keyAlg === 'sm2' ? newSm2SigningKey('dept') : newSigningKey('dept');
      writeFileSync(path.join(options.out, 'department.key.pem'), privateKeyPem(key), { mode: 0o600 });
      writeFileSync(path.join(options.out, 'department.pub.pem'), key.publicKeyPem);
      console.log(JSON.stringify({ keyId: key.keyId, alg: options.keyAlg, publicKey: key.publicKeyPem }, null, 2));
    });

  dept
    .command('platform-key')
    .description('输出平台的数据共享公钥，供部门配置信任 print the platform sharing public key for departments to trust')
    .option('--out <file>', 'also write the PEM here')
    .addOption(
      keyAlgOption(
        'which key: the platform signs its requests to a department with the key of the algorithm the department registered (sm2 for an SM2 department key)',
      ),
    )
    .action((options: { out?: string; keyAlg: 'ed25519' | 'sm2' }) => {
      const keys = platformKeys();
      const key = options.keyAlg === 'sm2' ? keys.sm2() : keys.ed25519;
      const pem = signingKeyPem(key);
      if (options.out) writeFileSync(options.out, pem);
      console.log(JSON.stringify({ keyId: key.keyId, publicKey: pem }, null, 2));
    });

  dept
    .command('attach')
    .description('把平台上的数据集改由外部部门系统提供 serve a platform dataset from an external department system')
    .argument('<dataset>', 'dataset code, e.g. health.birth_record')
    .option('--url <url>', "the department system's base URL (omit with --internal)")
    .option('--public-key <file>', "the department's public key, Ed25519 or SM2 (SPKI, PEM or DER), pinned")
    .option('--key-id <id>', "the department key's id (default: derived from the key)")
    .option('--timeout-ms <ms>', 'per attempt', int)
    .option('--attempts <n>', 'bounded attempts with backoff', int)
    .option('--internal', 'back to the dataset kept in the platform')
    .action(
      async (
        dataset: string,
        options: { url?: string; publicKey?: string; keyId?: string; timeoutMs?: number; attempts?: number; internal?: boolean },
      ) => {
        let provider: ProviderConfig;
        if (options.internal) provider = { kind: 'internal' };
        else {
          if (!options.url || !options.publicKey) throw new InvalidArgumentError('--url and --public-key are needed (or --internal)');
          const pem = readPublicKeyFile(options.publicKey);
          provider = {
            kind: 'external',
            baseUrl: options.url,
            keyId: options.keyId ?? verifyingKeyIdOf(verifyingKeyOf(pem), 'dept'),
            publicKey: pem,
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
            ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
          };
        }
        const platform = await openPlatform();
        try {
          await platform.services.sharingAdmin.setProvider(dataset, provider);
        } finally {
          await platform.close();
        }
        console.log(`${dataset}: ${provider.kind === 'external' ? `${provider.baseUrl} (key ${provider.keyId})` : 'internal'}`);
      },
    );

  dept
    .command('serve')
    .description('启动外部部门系统 run an external department system with its own dataset')
    .requiredOption('--dataset <file>', 'JSON: { name, datasets: [{ code, records: [{ residentId, data }] }] }')
    .requiredOption(
      '--key <file>',
      "the department's private key, Ed25519 or SM2 (PKCS#8 PEM, or SEC1 for SM2): answers are signed with its algorithm (sm2-sm3 for SM2); make one with `keygen --key-alg sm2`",
    )
    .option(
      '--trust <file>',
      'a platform public key (SPKI PEM, Ed25519 or SM2: `platform-key --key-alg sm2`) to accept; repeatable',
      collect,
      [],
    )
    .option('--port <port>', 'port (0: any free port)', int, 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--key-id <id>', "the department key's id (default: derived from the key)")
    .option('--public-url <url>', 'scheme and authority the platform uses, when behind a TLS proxy (e.g. https://health.example)')
    .option('--window <seconds>', 'accepted signature age; nonces are kept this long', int, 300)
    .option('--delay-ms <ms>', 'fault injection: answer every query this much later', int, 0)
    .option('--fail-first <n>', 'fault injection: answer the first n queries with 503', int, 0)
    .action(
      async (options: {
        dataset: string;
        key: string;
        trust: string[];
        port: number;
        host: string;
        keyId?: string;
        publicUrl?: string;
        window: number;
        delayMs: number;
        failFirst: number;
      }) => {
        const file = JSON.parse(readFileSync(options.dataset, 'utf8')) as DatasetFile;
        const key = loadSigningKey(options.key, 'dept');
        if (options.keyId) key.keyId = options.keyId;
        if (options.trust.length === 0) throw new InvalidArgumentError('name at least one --trust key');
        const { server } = createDepartmentServer({
          name: file.name ?? 'external department',
          key,
          trusted: trustedKeys(options.trust.map((f) => readFileSync(f, 'utf8'))),
          datasets: file.datasets,
          windowSeconds: options.window,
          ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
          delayMs: options.delayMs,
          failFirst: options.failFirst,
          log: (line) => console.log(line),
        });
        await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : options.port;
        // The first line says where it listens: tests and the demo wait for it.
        console.log(`listening on http://${options.host}:${port} key ${key.keyId}`);
        const stop = () => server.close(() => process.exit(0));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
}

/** The platform's sharing keys as the configuration gives them: each from its key file, else derived from the master key. */
export function configuredSharingKeys(config: {
  masterKey: Buffer;
  sharingKeyFile: string | undefined;
  sharingSm2KeyFile: string | undefined;
}): PlatformSharingKeys {
  let sm2: Sm2SigningKey | undefined;
  return {
    ed25519: config.sharingKeyFile ? loadSharingKey(config.sharingKeyFile) : derivedSharingKey(config.masterKey),
    sm2: () => (sm2 ??= config.sharingSm2KeyFile ? loadSm2SharingKey(config.sharingSm2KeyFile) : derivedSm2SharingKey(config.masterKey)),
  };
}
