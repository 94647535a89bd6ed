import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  /** PostgreSQL server URL; when absent the embedded PGlite in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  /** 32-byte master key: resident ID encryption and lookup hashes are derived from it. */
  masterKey: Buffer;
  logLevel: string;
  /** The base URL the public reaches this deployment at (links inside certificates). */
  publicUrl: string;
  /** The transparency log's origin line (C2SP checkpoint). */
  ledgerOrigin: string | undefined;
  /**
   * The platform's Ed25519 key for signing requests to external departments (PKCS#8 PEM file,
   * `YIBAN_SHARING_KEY_FILE`); without it the key is derived from the master key.
   */
  sharingKeyFile: string | undefined;
}

/**
 * Reads configuration from the environment. The master key comes from `YIBAN_MASTER_KEY`
 * (base64, 32 bytes); without it a key is generated once into the data folder so that a fresh
 * checkout runs, and the same key is used on every later start.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.YIBAN_DATA_DIR ?? 'data');
  const port = Number(env.PORT ?? 3000);
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    host: env.HOST ?? '0.0.0.0',
    port,
    publicUrl: (env.YIBAN_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    ledgerOrigin: env.YIBAN_LEDGER_ORIGIN || undefined,
    sharingKeyFile: env.YIBAN_SHARING_KEY_FILE || undefined,
    masterKey: env.YIBAN_MASTER_KEY ? decodeKey(env.YIBAN_MASTER_KEY) : loadOrCreateKeyFile(dataDir),
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}

function decodeKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('YIBAN_MASTER_KEY must be 32 bytes, base64-encoded');
  return key;
}

/** A key file as `master.key` holds it: 32 bytes, base64, one line. */
export function readKeyFile(file: string): Buffer {
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file}: a master key file holds 32 bytes, base64-encoded`);
  return key;
}

/** Where the master key comes from: the environment, or the data folder's `master.key`. */
export function masterKeySource(env: NodeJS.ProcessEnv = process.env): 'env' | 'file' {
  return env.YIBAN_MASTER_KEY ? 'env' : 'file';
}

function loadOrCreateKeyFile(dataDir: string): Buffer {
  const file = path.join(dataDir, 'master.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
