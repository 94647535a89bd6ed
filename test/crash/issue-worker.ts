/**
 * The child process of the issuance crash test: `node --import tsx test/crash/issue-worker.ts
 * <dataDir | postgres URL> <stateDir> <loop|finish|stdin> [residents] [seedCases]`, from the repo root.
 * With `stdin` it loads its modules, prints `loaded` and waits for a line `loop` or `finish`:
 * the test starts the next worker while the current one runs, so that importing the app (several
 * seconds on a busy machine) is not paid between kills.
 *
 * The first run seeds 正定县, the catalogue, the certificate types, the platform root, a
 * reviewer and the residents, and submits `seedCases` residence-proof cases (one per resident at
 * least, round robin). Every run then
 * approves the submitted cases one by one; once an approval's `act()` has resolved (committed),
 * it appends `<case id> <certificate identifier>` to `<stateDir>/acks.txt` and fsyncs it. In
 * `loop` mode it submits more cases when the queue runs dry and never stops (the test kills it);
 * `finish` drains the queue, integrates the ledger and exits 0.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { SEED_SERVICE_ITEMS } from '../../src/modules/catalog/catalog.seed.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../../src/modules/certificates/certificate-types.seed.ts';
import type { Principal } from '../../src/modules/identity/principal.ts';
import { makeResidentId } from '../../src/modules/identity/resident-id.ts';
import { ensureDemoDepartments } from '../../src/modules/orgs/orgs.service.ts';
import { openCrashPlatform } from './crash-platform.ts';
import { hanDigits } from '../../src/demo/han-digits.ts';

const VILLAGE = '130123100242';
const PASSWORD = 'Crash-Passw0rd';
const REVIEWER = 'crash-reviewer';
const FORM = { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' };
/** Cases submitted at once when the queue is empty (loop mode). */
const TOP_UP = 20;
/** Integrate the ledger after every this many approvals. */
const INTEGRATE_EVERY = 7;

const [target, stateDir, argMode = 'loop', residentsArg = '3', seedCasesArg = '40'] = process.argv.slice(2);
if (!target || !stateDir || !['loop', 'finish', 'stdin'].includes(argMode)) {
  console.error('usage: issue-worker.ts <dataDir|postgres-url> <stateDir> <loop|finish|stdin> [residents] [seedCases]');
  process.exit(64);
}
const residentCount = Number(residentsArg);
const seedCases = Math.max(residentCount, Number(seedCasesArg));

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function durableWrite(file: string, text: string, flag: 'a' | 'w'): void {
  const fd = openSync(file, flag);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function residentId(i: number): string {
  return makeResidentId('130123', '1980-01-01', i);
}

async function readMode(): Promise<'loop' | 'finish'> {
  say('loaded');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'loop' || line === 'finish') {
      lines.close();
      return line;
    }
  }
  process.exit(0);
}

async function main(): Promise<void> {
  const mode = argMode === 'stdin' ? await readMode() : (argMode as 'loop' | 'finish');
  say('opening');
  const started = performance.now();
  const { database, services } = await openCrashPlatform(target!);
  say(`opened ${Math.round(performance.now() - started)}ms`);
  const { db } = database;
  const login = async (input: Parameters<typeof services.identity.login>[0]): Promise<Principal> => {
    const principal = await services.identity.authenticate((await services.identity.login(input)).token);
    if (!principal) throw new Error('login gave no session');
    return principal;
  };

  const marker = path.join(stateDir!, 'seeded');
  if (!existsSync(marker)) {
    await services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
    await ensureDemoDepartments(db);
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    await upsertCertificateTypes(db, SEED_CERTIFICATE_TYPES);
    await services.keys.ensurePlatformRoot();
    await services.identityAdmin.ensureStaff({
      username: REVIEWER,
      name: '塔元庄村审核员',
      password: PASSWORD,
      roles: [{ role: 'village_reviewer', orgCode: VILLAGE }],
    });
    for (let i = 0; i < residentCount; i++) {
      try {
        await services.identity.registerResident({
          name: `居民${hanDigits(i)}`,
          residentId: residentId(i),
          phone: `1383110${String(i).padStart(4, '0')}`,
          password: PASSWORD,
          homeOrgCode: VILLAGE,
        });
      } catch (error) {
        if ((error as { code?: string }).code !== 'ALREADY_REGISTERED') throw error;
      }
    }
    const seeders: Principal[] = [];
    for (let i = 0; i < residentCount; i++)
      seeders.push(await login({ kind: 'resident', residentIdOrPhone: residentId(i), password: PASSWORD, channel: 'app' }));
    for (let k = 0; k < seedCases; k++) {
      // Idempotency keys: a seeding run that died halfway does not double its cases.
      await services.applications.submit(seeders[k % residentCount]!, { serviceCode: 'cert.residence', form: FORM }, `crash-seed-${k}`);
    }
    durableWrite(marker, 'seeded\n', 'w');
    say('seeded');
  }

  // The reviewer's session is kept in the state folder: argon2 on every start would slow the kill loop.
  const tokenFile = path.join(stateDir!, 'reviewer.token');
  let reviewer = existsSync(tokenFile) ? await services.identity.authenticate(readFileSync(tokenFile, 'utf8').trim()) : null;
  if (!reviewer) {
    const { token } = await services.identity.login({ kind: 'staff', username: REVIEWER, password: PASSWORD, channel: 'web' });
    reviewer = await services.identity.authenticate(token);
    if (!reviewer) throw new Error('reviewer login gave no session');
    durableWrite(tokenFile, `${token}\n`, 'w');
  }
  // Residents log in only when the queue runs dry (argon2 is slow on a busy machine).
  const residents: Principal[] = [];
  const acks = path.join(stateDir!, 'acks.txt');
  say('ready');
  const readyAt = performance.now();

  let approved = 0;
  let submitted = 0;
  for (;;) {
    const { rows } = await db.execute<{ id: string }>(
      sql`select id from cases where service_code = 'cert.residence' and state = 'submitted' order by seq limit 1`,
    );
    const next = rows[0]?.id;
    if (!next) {
      if (mode === 'finish') break;
      if (residents.length === 0) {
        for (let i = 0; i < residentCount; i++)
          residents.push(await login({ kind: 'resident', residentIdOrPhone: residentId(i), password: PASSWORD, channel: 'app' }));
      }
      for (let i = 0; i < TOP_UP; i++)
        await services.applications.submit(residents[submitted++ % residents.length]!, { serviceCode: 'cert.residence', form: FORM });
      continue;
    }
    await services.applications.act(reviewer, next, 'approve');
    // Committed: from here on the certificate must survive any crash.
    const cert = await db.execute<{ identifier: string }>(sql`select identifier from certificates where case_id = ${next}`);
    const identifier = cert.rows[0]?.identifier;
    if (!identifier) throw new Error(`case ${next} was approved but has no certificate`);
    durableWrite(acks, `${next} ${identifier}\n`, 'a');
    say(`ack ${approved + 1} +${Math.round(performance.now() - readyAt)}ms`);
    if (++approved % INTEGRATE_EVERY === 0) await services.ledger.integrate();
  }
  const result = await services.ledger.integrate();
  say(`done approved=${approved} integrate=${result.status}`);
  await database.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    writeFileSync(path.join(stateDir, `worker-error-${process.pid}.txt`), String((error as Error)?.stack ?? error));
    process.exit(1);
  },
);
