/**
 * Full offline verification per second on one core (issue 3: floor 2,000/s, aim 3,000/s):
 * signature, issuer chain, validity, status and ledger inclusion against a signed checkpoint —
 * `createCertificateVerifier` with pinned trust anchors, as a school's verifier runs it. The
 * certificates are real: a few hundred residence proofs issued end to end on an in-memory PGlite,
 * each with its ledger inclusion proof. `openssl speed sm2` runs in the same process tree for the
 * native baseline. Also SM2 verification alone, and SM2 signing through the pure-JS signer and the
 * seal signer (native k·G in Node).
 *
 *   npx tsx bench/verify.ts                       300 certificates, ~3 s per measurement
 *   VERIFY_BENCH_COUNT=100 npx tsx bench/verify.ts --seconds 2 --no-openssl
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createServices } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { issueDemoCertificate } from '../src/demo/demo-certificate.ts';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_VILLAGE } from '../src/demo/demo-people.ts';
import { makeResidentId } from '../src/modules/identity/resident-id.ts';
import { FIRST_STATUS_LIST } from '../src/modules/certificates/certificates.service.ts';
import { createSealSigner, sealSm2Engine } from '../src/modules/certificates/keys/native-sm2.ts';
import type { CertificateBundle } from '../src/verify/bundle.ts';
import { createSigner, createVerifier, generateKeyPair } from '../src/verify/signatures.ts';
import { createCertificateVerifier, type VerifyOptions } from '../src/verify/verify-certificate.ts';
import { loadLine } from './support/machine.ts';
import { hanDigits } from '../src/demo/han-digits.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 3;
const withOpenssl = !args.includes('--no-openssl');
const COUNT = Number(process.env.VERIFY_BENCH_COUNT ?? 300);
const FLOOR = 2000;
const AIM = 3000;
const SIGN_FLOOR = 1750;

interface Rate {
  /** Median over the rounds: operations per wall second, per process CPU second (all threads, GC
   * included) and per main-thread CPU second (Linux /proc; the process figure elsewhere). */
  wall: number;
  cpu: number;
  thread: number;
  runs: number;
}

/** CPU seconds of the main thread (utime + stime from /proc/thread-self/stat), or null off Linux. */
function threadCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Warms up for half a second, then runs `fn` in 5 rounds of `seconds`/5 and reports the medians. */
function measure(fn: (i: number) => void): Rate {
  const warmUntil = performance.now() + 500;
  for (let i = 0; performance.now() < warmUntil; i++) fn(i);
  const rounds: { wall: number; cpu: number; thread: number }[] = [];
  let runs = 0;
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const cpuStart = process.cpuUsage();
    const threadStart = threadCpuSeconds();
    const start = performance.now();
    const end = start + (seconds * 1000) / 5;
    while (performance.now() < end) {
      for (let i = 0; i < 20; i++) fn(runs + n + i);
      n += 20;
    }
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const threadEnd = threadCpuSeconds();
    const threadSeconds = threadStart !== null && threadEnd !== null && threadEnd > threadStart ? threadEnd - threadStart : cpuSeconds;
    rounds.push({ wall: n / wall, cpu: n / cpuSeconds, thread: n / threadSeconds });
    runs += n;
  }
  return {
    wall: median(rounds.map((r) => r.wall)),
    cpu: median(rounds.map((r) => r.cpu)),
    thread: median(rounds.map((r) => r.thread)),
    runs,
  };
}

const fmt = (r: Rate) =>
  `${r.wall.toFixed(0).padStart(6)}/s wall, ${r.cpu.toFixed(0).padStart(6)}/s per process CPU-second, ${r.thread.toFixed(0).padStart(6)}/s per main-thread CPU-second (median of 5 rounds, ${r.runs} runs)`;

const database = await openDatabase({ engine: 'pglite', memory: true });
try {
  await database.migrate();
  const services = createServices(database, { masterKey: randomBytes(32), publicUrl: 'https://yiban.example.cn' });
  const issueStart = performance.now();
  const first = await issueDemoCertificate(database, services);
  const reviewer = await services.identity.authenticate(
    (await services.identity.login({ kind: 'staff', username: 'tyz-reviewer', password: DEMO_PASSWORD, channel: 'web' })).token,
  );
  if (!reviewer) throw new Error('reviewer login failed');
  const holders = [{ principal: first.resident, certificateId: first.cert.id }];
  for (let i = 1; i < COUNT; i++) {
    const residentId = makeResidentId(DEMO_COUNTY, `19${String(60 + (i % 40))}-0${1 + (i % 9)}-1${i % 10}`, 100 + i);
    const phone = `139${String(10_000_000 + i).padStart(8, '0')}`;
    await services.identity.registerResident({
      name: `居民${hanDigits(i)}`,
      residentId,
      phone,
      password: DEMO_PASSWORD,
      homeOrgCode: DEMO_VILLAGE,
    });
    const resident = await services.identity.authenticate(
      (await services.identity.login({ kind: 'resident', residentIdOrPhone: residentId, password: DEMO_PASSWORD, channel: 'app' })).token,
    );
    if (!resident) throw new Error('resident login failed');
    const { case: c } = await services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: `河北省石家庄市正定县正定镇塔元庄村${i}号`, residentSince: '2015-05-01', purpose: 'school' },
    });
    await services.applications.act(reviewer, c.id, 'approve');
    holders.push({ principal: resident, certificateId: (await services.certificates.getByCase(resident, c.id)).id });
  }
  await services.ledger.integrate();
  // Every bundle carries an inclusion proof against the latest signed checkpoint.
  const bundles: CertificateBundle[] = [];
  for (const h of holders) bundles.push(await services.certificates.bundle(h.principal, h.certificateId));
  const issueSeconds = (performance.now() - issueStart) / 1000;
  const trust = await services.certificates.trustAnchors();
  const status = {
    revocation: await services.certificates.statusBits(FIRST_STATUS_LIST, 'revocation'),
    suspension: await services.certificates.statusBits(FIRST_STATUS_LIST, 'suspension'),
  };
  const options: VerifyOptions = { status, requireLedger: true };
  if (bundles.some((b) => !b.ledger)) throw new Error('a bundle has no ledger proof');

  const machine = `${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}`;
  console.log(`${machine}; ${loadLine()}`);
  console.log(
    `${bundles.length} certificates issued end to end in ${issueSeconds.toFixed(1)} s (PGlite, in memory), one checkpoint of ${bundles[0]!.ledger!.checkpoint.split('\n')[1]} entries`,
  );

  // A fresh verifier per measurement: the first pass over the certificates pays for the seal's
  // table and chain, as a verifier page would once per issuer.
  const coldStart = performance.now();
  const cold = createCertificateVerifier(trust);
  const firstResult = cold(bundles[0]!, options);
  const coldMs = performance.now() - coldStart;
  if (firstResult.verdict !== 'VALID') throw new Error(`not VALID: ${JSON.stringify(firstResult.checks)}`);
  const verifier = createCertificateVerifier(trust);
  for (const b of bundles) {
    const result = verifier(b, options);
    if (result.verdict !== 'VALID') throw new Error(`not VALID: ${JSON.stringify(result.checks)}`);
  }
  let invalid = 0;
  const full = measure((i) => {
    if (verifier(bundles[i % bundles.length]!, options).verdict !== 'VALID') invalid++;
  });
  if (invalid > 0) throw new Error(`${invalid} verifications were not VALID`);
  console.log(`full verification (signature, chain, validity, status, ledger), one core: ${fmt(full)}`);
  console.log(`  first verification with a new verifier (seal table, chain, checkpoint): ${coldMs.toFixed(1)} ms`);

  // The parts: SM2 verification alone with a precomputed key table, and SM2 signing.
  const message = new TextEncoder().encode(bundles[0]!.payload);
  const keys = generateKeyPair('SM2');
  const pureSigner = createSigner('SM2', keys.privateKey);
  const tableVerifier = createVerifier('SM2', keys.publicKeySpki, { precompute: true })!;
  const signature = pureSigner.sign(message);
  const verifyOnly = measure(() => {
    if (!tableVerifier.verify(message, signature)) throw new Error('SM2 does not verify');
  });
  const signPure = measure(() => pureSigner.sign(message));
  const nativeSigner = createSealSigner('SM2', keys.privateKey);
  const signNative = measure(() => nativeSigner.sign(message));
  console.log(`SM2 verify alone, key table (pure TypeScript): ${fmt(verifyOnly)}`);
  console.log(`SM2 sign, pure TypeScript (browser path):      ${fmt(signPure)}`);
  console.log(`SM2 sign, seal signer (${sealSm2Engine}):${' '.repeat(Math.max(1, 22 - sealSm2Engine.length))}${fmt(signNative)}`);

  let native: { sign: number; verify: number } | null = null;
  if (withOpenssl) {
    const out = execFileSync('openssl', ['speed', '-seconds', '3', 'sm2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n').find((l) => /^\s*256 bits? SM2/.test(l) || /SM2 \(sm2\)/.test(l));
    const numbers = line?.match(/(\d+(\.\d+)?)\s+(\d+(\.\d+)?)\s*$/);
    if (numbers) native = { sign: Number(numbers[1]), verify: Number(numbers[3]) };
    console.log(
      native
        ? `openssl speed -seconds 3 sm2: ${native.sign.toFixed(0)} signs/s, ${native.verify.toFixed(0)} verifies/s`
        : `openssl speed: could not parse\n${out}`,
    );
  }
  console.log(loadLine());
  const verdict = (rate: number, floor: number) => (rate >= floor ? 'met' : 'NOT met');
  console.log(
    `floor ${FLOOR}/s full verifications per core: ${verdict(full.cpu, FLOOR)} (per process CPU-second); aim ${AIM}/s: ${verdict(full.cpu, AIM)}`,
  );
  console.log(`floor ${SIGN_FLOOR} SM2 signs/s: ${verdict(signNative.cpu, SIGN_FLOOR)} (seal signer, per process CPU-second)`);
  if (native) {
    // openssl speed counts user CPU time too; the ratio carries over to a quiet machine.
    console.log(
      `against OpenSSL in this run: full verification ${(full.cpu / native.verify).toFixed(2)}× its bare SM2 verify; SM2 verify alone ${(verifyOnly.cpu / native.verify).toFixed(2)}×; signing ${(signNative.cpu / native.sign).toFixed(2)}× its sign`,
    );
  }
  if (full.cpu < FLOOR || signNative.cpu < SIGN_FLOOR) process.exitCode = 1;
} finally {
  await database.close();
}
