/**
 * Starts a real external department server (`yiban external-dept serve`) as a child process, for
 * the demo, tests and benchmarks: its own dataset file, its own key, the platform key it trusts.
 * The paying bank's system starts the same way (bank-process.ts, through startSignedServer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePkcs8, privateKeyToPem } from '../../verify/keys.ts';
import { sm2GenerateKeyPair } from '../../verify/sm2-keys.ts';
import type { DepartmentDataset, DepartmentStats } from './external-department.ts';
import {
  keyIdOf,
  publicKeyPem,
  signingKeyPem,
  sm2KeyIdOf,
  sm2SigningKey,
  type SigningKey,
  type Sm2SigningKey,
} from './http-signature-keys.ts';
import type { ProviderConfig } from './sharing.tables.ts';

const YIBAN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/yiban.js');

/** A fresh Ed25519 key pair as a signing key, with its public key in PEM. */
export function newSigningKey(prefix = 'yiban-sharing'): SigningKey & { publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId: keyIdOf(publicKey, prefix), privateKey, publicKeyPem: publicKeyPem(publicKey) };
}

/** A fresh SM2 key pair as a signing key (`alg` "sm2-sm3"), with its public key in PEM (SPKI). */
export function newSm2SigningKey(prefix = 'yiban-sharing'): Sm2SigningKey & { publicKeyPem: string } {
  const pair = sm2GenerateKeyPair();
  const key = sm2SigningKey(sm2KeyIdOf(pair.publicKey, prefix), pair.privateKey);
  return { ...key, publicKeyPem: signingKeyPem(key) };
}

/** A signing key's private key as PEM (PKCS#8), as `external-dept serve --key` reads it. */
export function privateKeyPem(key: SigningKey | Sm2SigningKey): string {
  return 'alg' in key
    ? privateKeyToPem(encodePkcs8('SM2', key.privateKey, key.publicKey))
    : key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** A GET on a fresh connection (no keep-alive socket the server may be closing). */
export function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(JSON.parse(body) as T));
    }).on('error', reject);
  });
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A signed system (signed-intake.ts) running as a child process. */
export interface RunningServer<Stats> {
  url: string;
  port: number;
  keyId: string;
  process: ChildProcess;
  stats(): Promise<Stats>;
  stop(): Promise<void>;
}

/** What a signed system's process is started with, a department's or the bank's. */
export interface SignedServerSpec {
  /** Platform public keys (PEM) the system trusts. */
  trust: string[];
  /** The system's own key, Ed25519 or SM2; a fresh Ed25519 one by default. */
  key?: (SigningKey | Sm2SigningKey) & { publicKeyPem: string };
  port?: number;
  delayMs?: number;
  failFirst?: number;
}

export interface RunningDepartment extends RunningServer<DepartmentStats> {
  /** The provider config a dataset served by this department pins. */
  provider(extra?: { timeoutMs?: number; attempts?: number }): Extract<ProviderConfig, { kind: 'external' }>;
}

export interface DepartmentSpec extends SignedServerSpec {
  name: string;
  datasets: DepartmentDataset[];
}

/** Spawns the department process and waits until it listens. */
export async function startDepartment(spec: DepartmentSpec): Promise<RunningDepartment> {
  const { running, pin } = await startSignedServer<DepartmentStats>(spec, {
    command: 'external-dept',
    name: 'department',
    keyIdPrefix: 'dept',
    args: (dir) => {
      writeFileSync(path.join(dir, 'datasets.json'), JSON.stringify({ name: spec.name, datasets: spec.datasets }));
      return ['--dataset', path.join(dir, 'datasets.json')];
    },
  });
  return { ...running, provider: pin };
}

/**
 * The platform's pin of a running system: its URL, key id and public key, with the call's timeout
 * and attempts (a dataset's provider config; the bank's rail has the same fields).
 */
type Pin = (extra?: { timeoutMs?: number; attempts?: number }) => Extract<ProviderConfig, { kind: 'external' }>;

/**
 * Spawns `yiban <command> serve` with the system's key (`<name>.key.pem`; a fresh Ed25519 one
 * unless the spec gives one) and the platform keys it trusts written to a fresh folder, the fault
 * injection asked for, and the arguments `args` adds (after writing their files to the folder);
 * waits until it listens.
 */
export async function startSignedServer<Stats>(
  spec: SignedServerSpec,
  system: { command: string; name: string; keyIdPrefix: string; args?: (dir: string) => string[] },
): Promise<{ running: RunningServer<Stats>; pin: Pin }> {
  const dir = mkdtempSync(path.join(tmpdir(), `yiban-${system.keyIdPrefix}-`));
  const key = spec.key ?? newSigningKey(system.keyIdPrefix);
  const keyFile = path.join(dir, `${system.name}.key.pem`);
  writeFileSync(keyFile, privateKeyPem(key), { mode: 0o600 });
  const args = [system.command, 'serve', '--key', keyFile, '--key-id', key.keyId, '--port', String(spec.port ?? 0)];
  spec.trust.forEach((pem, i) => {
    writeFileSync(path.join(dir, `trust-${i}.pem`), pem);
    args.push('--trust', path.join(dir, `trust-${i}.pem`));
  });
  if (spec.delayMs) args.push('--delay-ms', String(spec.delayMs));
  if (spec.failFirst) args.push('--fail-first', String(spec.failFirst));
  args.push(...(system.args?.(dir) ?? []));
  const { child, port } = await spawnListening(args, system.name);
  const url = `http://127.0.0.1:${port}`;
  return {
    running: {
      url,
      port,
      keyId: key.keyId,
      process: child,
      stats: () => getJson<Stats>(`${url}/v1/stats`),
      stop: () => stopChild(child),
    },
    pin: (extra = {}) => ({ kind: 'external', baseUrl: url, keyId: key.keyId, publicKey: key.publicKeyPem, ...extra }),
  };
}

/** Spawns `yiban …args` and waits for its first line, `listening on http://host:port`. */
export async function spawnListening(args: string[], what: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [YIBAN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out: string | null = '';
    let err = '';
    // A bound for a process that will never say it listens, not a wait: under CI's load (two shared
    // cores, several processes starting at once) a start-up has taken most of a minute.
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 150 s: ${err}`)), 150_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (out === null) return; // access-log lines after the start: drained, not kept
      out += chunk;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        out = null;
        resolve(Number(m[1]));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err}`));
    });
  });
  return { child, port };
}

/** Stops a spawned server (SIGTERM) and waits until it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
