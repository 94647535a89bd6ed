/**
 * SM2 / Ed25519 signing and verification rates on one core (the pure-TypeScript code in
 * src/verify, as the browser verifier runs it; and the seal signer, whose k·G is native in Node).
 *
 * With the native addon (native/sm2), also its verification (what the hospital interface and the
 * federation's messages use in Node); `--baseline-addon FILE` loads another build of the addon (say,
 * the previous commit's, built elsewhere with `npm run build:native`) and measures both in the same
 * run, alternately, with the ratio.
 *
 *   npx tsx bench/sm2.ts              ~2 s per measurement
 *   npx tsx bench/sm2.ts --seconds 5 --json
 *   npx tsx bench/sm2.ts --baseline-addon /tmp/old/build/Release/yiban_sm2.node
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createAddonSm2Verifier, createSealSigner, sm2Addon, type Sm2Addon } from '../src/modules/certificates/keys/native-sm2.ts';
import { issueCertificate } from '../src/modules/certificates/keys/x509-issue.ts';
import { decodeSpki } from '../src/verify/keys.ts';
import { createSigner, createVerifier, generateKeyPair, verify } from '../src/verify/signatures.ts';
import { createChainVerifier, verifyCertificateChain } from '../src/verify/x509.ts';
import { sm3 } from '../src/verify/sm3.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 2;
const json = args.includes('--json');
const baselineAddon = args.includes('--baseline-addon') ? args[args.indexOf('--baseline-addon') + 1] : undefined;

interface Result {
  name: string;
  opsPerSecond: number;
  runs: number;
}

/** Runs `fn` for a warm-up second, then for `seconds`, and reports operations per second. */
function measure(name: string, fn: () => unknown, unit = 1): Result {
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) fn();
  let runs = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) fn();
    runs += 10;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { name, opsPerSecond: (runs * unit) / elapsed, runs };
}

const message = new TextEncoder().encode(
  JSON.stringify({ id: '1.2.156.3005.2.11100000000000000X.0000000001.001.A', holder: '张*', fields: Array(8).fill('a'.repeat(64)) }),
);
const results: Result[] = [];

for (const algorithm of ['SM2', 'Ed25519'] as const) {
  const keys = generateKeyPair(algorithm);
  const signer = createSigner(algorithm, keys.privateKey);
  const signature = signer.sign(message);
  const plain = createVerifier(algorithm, keys.publicKeySpki)!;
  const precomputed = createVerifier(algorithm, keys.publicKeySpki, { precompute: true })!;
  if (!plain.verify(message, signature) || !verify(algorithm, keys.publicKeySpki, message, signature))
    throw new Error(`${algorithm} does not verify`);
  results.push(measure(`${algorithm} sign (key prepared once)`, () => signer.sign(message)));
  if (algorithm === 'SM2') {
    const sealSigner = createSealSigner(algorithm, keys.privateKey);
    if (!plain.verify(message, sealSigner.sign(message))) throw new Error('the seal signer does not verify');
    results.push(measure(`${algorithm} sign, seal signer (native k·G in Node)`, () => sealSigner.sign(message)));
  }
  results.push(measure(`${algorithm} verify (no table for the key)`, () => plain.verify(message, signature)));
  if (algorithm === 'SM2') {
    results.push(measure(`${algorithm} verify (precomputed table for the key)`, () => precomputed.verify(message, signature)));
    results.push(
      measure(`${algorithm} verify() by SPKI (cached verifier)`, () => verify(algorithm, keys.publicKeySpki, message, signature)),
    );
    const raw = decodeSpki(keys.publicKeySpki).key;
    const addons: [string, Sm2Addon | undefined][] = [['native addon', sm2Addon]];
    if (baselineAddon)
      addons.push([`baseline addon (${baselineAddon})`, createRequire(import.meta.url)(path.resolve(baselineAddon)) as Sm2Addon]);
    const verifiers = addons.flatMap(([name, addon]) => {
      const verifier = addon && createAddonSm2Verifier(addon, raw);
      if (!verifier) return [];
      if (!verifier.verify(message, signature) || verifier.verify(message.subarray(1), signature)) throw new Error(`${name} is wrong`);
      return [{ name: `${algorithm} verify, ${name} (table for the key)`, verifier }];
    });
    // Alternately, twice each, the better of the two: the machine's drift falls on both.
    const best = new Map<string, Result>();
    for (let round = 0; round < 2; round++)
      for (const { name, verifier } of verifiers) {
        const r = measure(name, () => verifier.verify(message, signature));
        if (r.opsPerSecond > (best.get(name)?.opsPerSecond ?? 0)) best.set(name, r);
      }
    results.push(...best.values());
    const [mine, base] = [...best.values()];
    if (mine && base)
      console.log(`native addon / baseline addon: ${(mine.opsPerSecond / base.opsPerSecond).toFixed(2)}× the verifications per second`);
  }
}
// A seal certificate under the SM2 root: a cold chain check, and one with the path remembered.
{
  const rootKeys = generateKeyPair('SM2');
  const rootSigner = createSigner('SM2', rootKeys.privateKey);
  const name = { commonName: '一办平台根证书', organization: '一办平台' };
  const day = 86_400_000;
  const validity = { notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 3650 * day) };
  const root = issueCertificate({
    profile: 'root',
    subject: name,
    subjectPublicKeySpki: rootKeys.publicKeySpki,
    issuer: { name, signer: rootSigner },
    ...validity,
  });
  const seal = issueCertificate({
    profile: 'seal',
    subject: { commonName: '塔元庄村民委员会' },
    subjectPublicKeySpki: generateKeyPair('SM2').publicKeySpki,
    issuer: { name, signer: rootSigner },
    ...validity,
  });
  const at = new Date();
  results.push(
    measure('X.509 SM2 chain, cold (verifyCertificateChain)', () => verifyCertificateChain({ leaf: seal.der, anchors: [root.der], at })),
  );
  const chains = createChainVerifier({ anchors: [root.der] });
  results.push(measure('X.509 SM2 chain, path remembered (createChainVerifier)', () => chains.verify(seal.der, { at })));
}

const block = new Uint8Array(1 << 20);
results.push({ ...measure('SM3 (MB/s over 1 MiB)', () => sm3(block)), name: 'SM3 MB/s' });

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, load: loadavg()[0]?.toFixed(2), node: process.version };
if (json) {
  console.log(JSON.stringify({ machine, seconds, results }, null, 2));
} else {
  console.log(`${machine.cpu}, ${machine.cores} cores, load ${machine.load}, Node ${machine.node}; one core`);
  for (const r of results) console.log(`${r.name.padEnd(48)} ${r.opsPerSecond.toFixed(0).padStart(8)} /s`);
}
