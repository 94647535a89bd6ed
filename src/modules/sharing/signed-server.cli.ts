/**
 * What `yiban bank` and `yiban external-dept` do alike for the signed systems they run
 * (signed-intake.ts): make the system's key pair, read the keys `serve` is given, and listen.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { newSigningKey, newSm2SigningKey, privateKeyPem } from './department-process.ts';
import { loadSigningKey } from './http-signature-keys.ts';
import { trustedKeys, type SignedServerOptions } from './signed-intake.ts';

export const wholeNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
};
export const collect = (v: string, prev: string[]) => [...prev, v];

/** The options both `serve` commands take, as commander hands them over. */
export interface SignedServeOptions {
  key: string;
  trust: string[];
  port: number;
  host: string;
  keyId?: string;
  publicUrl?: string;
  window: number;
  delayMs: number;
  failFirst: number;
}

/**
 * `keygen`: a fresh key pair, written as `<name>.key.pem` (PKCS#8, readable by the owner only) and
 * `<name>.pub.pem` (SPKI) in the folder; its id, algorithm and public key printed.
 */
export function writeKeyPair(options: { out: string; keyAlg: 'ed25519' | 'sm2' }, system: { name: string; keyIdPrefix: string }): void {
  mkdirSync(options.out, { recursive: true });
  const key = options.keyAlg === 'sm2' ? newSm2SigningKey(system.keyIdPrefix) : newSigningKey(system.keyIdPrefix);
  writeFileSync(path.join(options.out, `${system.name}.key.pem`), privateKeyPem(key), { mode: 0o600 });
  writeFileSync(path.join(options.out, `${system.name}.pub.pem`), key.publicKeyPem);
  console.log(JSON.stringify({ keyId: key.keyId, alg: options.keyAlg, publicKey: key.publicKeyPem }, null, 2));
}

/**
 * The options every `serve` takes after its key and trusted keys (each command words those itself),
 * worded for the system: whose key it is, what it calls the requests it takes.
 */
export function addServeOptions(
  serve: Command,
  words: { owner: string; request: string; requests: string; publicUrlExample?: string },
): Command {
  const example = words.publicUrlExample ? ` (e.g. ${words.publicUrlExample})` : '';
  return serve
    .option('--port <port>', 'port (0: any free port)', wholeNumber, 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--key-id <id>', `the ${words.owner} key's id (default: derived from the key)`)
    .option('--public-url <url>', `scheme and authority the platform uses, when behind a TLS proxy${example}`)
    .option('--window <seconds>', 'accepted signature age; nonces are kept this long', wholeNumber, 300)
    .option('--delay-ms <ms>', `fault injection: answer every ${words.request} this much later`, wholeNumber, 0)
    .option('--fail-first <n>', `fault injection: answer the first n ${words.requests} with 503`, wholeNumber, 0);
}

/**
 * What `serve`'s options give the server: its own key (its id from `--key-id`, else derived from
 * the key), the platform keys it trusts (at least one), the window, the public URL, the fault
 * injection; access-log lines to stdout.
 */
export function signedServerOptions(options: SignedServeOptions, system: { name: string; keyIdPrefix: string }): SignedServerOptions {
  const key = loadSigningKey(options.key, system.keyIdPrefix);
  if (options.keyId) key.keyId = options.keyId;
  if (options.trust.length === 0) throw new InvalidArgumentError('name at least one --trust key');
  return {
    name: system.name,
    key,
    trusted: trustedKeys(options.trust.map((f) => readFileSync(f, 'utf8'))),
    windowSeconds: options.window,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    delayMs: options.delayMs,
    failFirst: options.failFirst,
    log: (line) => console.log(line),
  };
}

/** Listens, says where in its first line (tests and the demo wait for it), and closes on SIGTERM or SIGINT. */
export async function listenUntilStopped(server: Server, at: { host: string; port: number; keyId: string }): Promise<void> {
  await new Promise<void>((resolve) => server.listen(at.port, at.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : at.port;
  console.log(`listening on http://${at.host}:${port} key ${at.keyId}`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
