/** Starts the paying bank's system (`yiban bank serve`) as a child process, for tests and demos. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PaymentRailConfig } from '../../core/config.ts';
import type { BankStats } from './bank-server.ts';
import { getJson, newSigningKey, privateKeyPem, spawnListening, stopChild } from './department-process.ts';
import type { SigningKey, Sm2SigningKey } from './http-signature-keys.ts';

export interface RunningBank {
  url: string;
  port: number;
  keyId: string;
  process: ChildProcess;
  /** The external payment rail that pins this bank. */
  rail(extra?: { timeoutMs?: number; attempts?: number }): Extract<PaymentRailConfig, { kind: 'external' }>;
  stats(): Promise<BankStats>;
  stop(): Promise<void>;
}

export interface BankSpec {
  /** Platform public keys (PEM) the bank trusts. */
  trust: string[];
  /** The bank's own key, Ed25519 or SM2; a fresh Ed25519 one by default. */
  key?: (SigningKey | Sm2SigningKey) & { publicKeyPem: string };
  port?: number;
  delayMs?: number;
  failFirst?: number;
  down?: boolean;
}

export async function startBank(spec: BankSpec): Promise<RunningBank> {
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-bank-'));
  const key = spec.key ?? newSigningKey('bank');
  writeFileSync(path.join(dir, 'bank.key.pem'), privateKeyPem(key), { mode: 0o600 });
  const args = ['bank', 'serve', '--key', path.join(dir, 'bank.key.pem'), '--key-id', key.keyId, '--port', String(spec.port ?? 0)];
  spec.trust.forEach((pem, i) => {
    writeFileSync(path.join(dir, `trust-${i}.pem`), pem);
    args.push('--trust', path.join(dir, `trust-${i}.pem`));
  });
  if (spec.delayMs) args.push('--delay-ms', String(spec.delayMs));
  if (spec.failFirst) args.push('--fail-first', String(spec.failFirst));
  if (spec.down) args.push('--down');
  const { child, port } = await spawnListening(args, 'bank');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    keyId: key.keyId,
    process: child,
    rail: (extra = {}) => ({ kind: 'external', baseUrl: url, keyId: key.keyId, publicKey: key.publicKeyPem, ...extra }),
    stats: () => getJson<BankStats>(`${url}/v1/stats`),
    stop: () => stopChild(child),
  };
}
