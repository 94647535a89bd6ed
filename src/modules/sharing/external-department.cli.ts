import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { publicKeyToPem } from '../../verify/keys.ts';
import { createDepartmentServer, type DepartmentDataset } from './external-department.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import {
  addServeOptions,
  collect,
  listenUntilStopped,
  signedServerOptions,
  wholeNumber,
  writeKeyPair,
  type SignedServeOptions,
} from './signed-server.cli.ts';
import {
  derivedSharingKey,
  derivedSm2SharingKey,
  loadSharingKey,
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
    .action((options: { out: string; keyAlg: 'ed25519' | 'sm2' }) => writeKeyPair(options, { name: 'department', keyIdPrefix: 'dept' }));

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
    .option('--timeout-ms <ms>', 'per attempt', wholeNumber)
    .option('--attempts <n>', 'bounded attempts with backoff', wholeNumber)
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

  const serve = dept
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
    );
  addServeOptions(serve, { owner: 'department', request: 'query', requests: 'queries', publicUrlExample: 'https://health.example' }).action(
    async (options: SignedServeOptions & { dataset: string }) => {
      const file = JSON.parse(readFileSync(options.dataset, 'utf8')) as DatasetFile;
      const settings = signedServerOptions(options, { name: file.name ?? 'external department', keyIdPrefix: 'dept' });
      const { server } = createDepartmentServer({ ...settings, datasets: file.datasets });
      await listenUntilStopped(server, { host: options.host, port: options.port, keyId: settings.key.keyId });
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
