import { randomBytes } from 'node:crypto';
import { createServices } from '../app.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { listCertificateTypes, SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import { seedBundles } from '../modules/bundles/index.ts';
import type { BurdenFigures } from '../modules/bundles/index.ts';
import type { BundleProgress } from '../modules/bundles/index.ts';
import { ensureDemoDepartments } from '../modules/orgs/index.ts';
import type { Principal } from '../modules/identity/index.ts';
import { makeResidentId } from '../modules/identity/index.ts';
import { newSigningKey, startDepartment, type RunningDepartment } from '../modules/sharing/index.ts';
import type { DepartmentStats } from '../modules/sharing/index.ts';
import { seedRecords, seedSharingDemo, type DemoPerson } from '../modules/sharing/index.ts';
import { DEMO_PASSWORD, DEMO_VILLAGE, demoResidentId } from './demo-people.ts';
import { hanDigits } from './han-digits.ts';

const PEOPLE: [string, string, 'male' | 'female'][] = [
  ['张伟', '1985-06-12', 'male'],
  ['王芳', '1990-03-07', 'female'],
  ['李娜', '1978-11-23', 'female'],
  ['刘洋', '2001-08-30', 'male'],
];

/** A database ready for bundles: 正定县, its departments, the catalogue, the data catalogue and grants. */
export interface BundleBench {
  services: ReturnType<typeof createServices>;
  /**
   * A mother of 塔元庄村 whose delivery record the hospital holds, registered and signed in;
   * `index` 1 is the demo's 王芳, others get records of their own.
   */
  newMother: (index: number) => Promise<Principal>;
  /** The demo people and the datasets' records of them (an external department serves its own copy). */
  people: [DemoPerson, DemoPerson, DemoPerson, DemoPerson];
}

/**
 * Loads what the bundles need into a migrated database (the routine `yiban demo bundle` and
 * bench/bundle.ts share), with the instant-approval rules of the definitions on.
 */
export async function prepareBundleDemo(
  database: Database,
  options: { masterKey?: Buffer; platformKey?: ReturnType<typeof newSigningKey> } = {},
): Promise<BundleBench> {
  const services = createServices(database, {
    masterKey: options.masterKey ?? randomBytes(32),
    ...(options.platformKey ? { externalSharing: { key: options.platformKey } } : {}),
  });
  await services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
  const departments: Record<string, string> = {};
  for (const d of await ensureDemoDepartments(database.db)) if (d.departmentKind) departments[d.departmentKind] ??= d.code;
  await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
  await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
  await services.keys.ensurePlatformRoot();
  const people = PEOPLE.map(([name, birthDate, gender], i): DemoPerson => ({ residentId: demoResidentId(i), name, birthDate, gender })) as [
    DemoPerson,
    DemoPerson,
    DemoPerson,
    DemoPerson,
  ];
  await seedSharingDemo(services.sharingAdmin, departments, people, { licenceTypes: await listCertificateTypes(database.db) });
  await seedBundles(database.db, services, departments);
  const records = seedRecords(people);

  async function newMother(index: number): Promise<Principal> {
    let residentId = people[1].residentId;
    let phone = '13831100002';
    if (index !== 1) {
      // Even sequence numbers are women (GB 11643); 499 a day, over as many days as needed.
      const day = new Date(Date.UTC(1990, 0, 1) + Math.floor(index / 499) * 86_400_000).toISOString().slice(0, 10);
      residentId = makeResidentId('130123', day, 2 * (index % 499) + 2);
      phone = `139${String(index).padStart(8, '0')}`;
      const copy = (code: string, data: Record<string, string>) => services.sharingAdmin.upsertRecords(code, [{ residentId, data }]);
      await copy('ps.household_register', { ...records['ps.household_register']![1]!.data, name: `母亲${hanDigits(index)}` });
      await copy('health.birth_record', { ...records['health.birth_record']![0]!.data, childName: `宝宝${index}` });
      // Her insurance, as 王芳's: what the maternity benefits' rules read.
      await copy('medsec.insured_person', { ...records['medsec.insured_person']![1]!.data, name: `母亲${hanDigits(index)}` });
      await copy('medsec.maternity_insurance', records['medsec.maternity_insurance']![0]!.data);
    }
    await services.identity.registerResident({
      name: index === 1 ? people[1].name : `母亲${hanDigits(index)}`,
      residentId,
      phone,
      password: DEMO_PASSWORD,
      homeOrgCode: DEMO_VILLAGE,
    });
    const { token } = await services.identity.login({
      kind: 'resident',
      residentIdOrPhone: residentId,
      password: DEMO_PASSWORD,
      channel: 'app',
    });
    const principal = await services.identity.authenticate(token);
    if (!principal) throw new Error('demo login failed');
    return principal;
  }
  return { services, newMother, people };
}

/** What the parent types for each bundle: the fields no dataset holds. */
export const TYPED_FIELDS: Record<string, Record<string, string>> = { birth: {}, retirement: { bankAccount: '6228480000000000' } };

/**
 * Story 2 on a fresh in-memory database: 王芳 (whose delivery record the hospital holds) starts
 * the birth bundle with the instant-approval rules on. Returns the progress and its burden figures.
 */
export async function runDemoBundle(
  code = 'birth',
  options: { externalHospital?: boolean } = {},
): Promise<{ progress: BundleProgress; burden: BurdenFigures; wallMs: number; cpuMs: number; hospital?: DepartmentStats }> {
  const database = await openDatabase({ engine: 'pglite', memory: true });
  let hospital: RunningDepartment | undefined;
  try {
    await database.migrate();
    const platformKey = newSigningKey();
    const { services, newMother, people } = await prepareBundleDemo(database, { platformKey });
    if (options.externalHospital) {
      // The hospital's birth records from its own system: a separate process over signed HTTP.
      hospital = await startDepartment({
        name: '正定县人民医院',
        datasets: [{ code: 'health.birth_record', records: seedRecords(people)['health.birth_record'] ?? [] }],
        trust: [platformKey.publicKeyPem],
      });
      await services.sharingAdmin.setProvider('health.birth_record', hospital.provider());
    }
    const principal = await newMother(1);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const { bundle } = await services.bundles.start(
      principal,
      { bundle: code, form: TYPED_FIELDS[code] ?? {}, consent: true },
      `demo-${code}-1`,
    );
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    // The outbox worker's share: the rule decisions' case.decided events mark the bundle completed.
    await services.events.drain();
    return {
      progress: bundle,
      burden: await services.bundles.burden(principal, bundle.id),
      wallMs,
      cpuMs,
      ...(hospital ? { hospital: await hospital.stats() } : {}),
    };
  } finally {
    await hospital?.stop();
    await database.close();
  }
}
