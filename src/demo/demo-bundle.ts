import { randomBytes } from 'node:crypto';
import { createServices } from '../app.ts';
import { openDatabase } from '../db/database.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/catalog.seed.ts';
import { SEED_CERTIFICATE_TYPES } from '../modules/certificates/certificate-types.seed.ts';
import { seedBundles } from '../modules/bundles/bundle-seed.ts';
import type { BurdenFigures } from '../modules/bundles/burden.ts';
import type { BundleProgress } from '../modules/bundles/bundles.service.ts';
import { ensureDemoDepartments } from '../modules/orgs/orgs.service.ts';
import { newSigningKey, startDepartment, type RunningDepartment } from '../modules/sharing/department-process.ts';
import type { DepartmentStats } from '../modules/sharing/external-department.ts';
import { seedRecords, seedSharingDemo, type DemoPerson } from '../modules/sharing/sharing.seed.ts';
import { DEMO_PASSWORD, DEMO_VILLAGE, demoResidentId } from './demo-data.ts';

const PEOPLE: [string, string, 'male' | 'female'][] = [
  ['张伟', '1985-06-12', 'male'],
  ['王芳', '1990-03-07', 'female'],
  ['李娜', '1978-11-23', 'female'],
  ['刘洋', '2001-08-30', 'male'],
];

/**
 * Story 2 on a fresh in-memory database: 正定县, its departments, the catalogue, the data
 * catalogue and grants; 王芳 (whose delivery record the hospital holds) starts the birth bundle
 * with the instant-approval rules on. Returns the progress and its burden figures.
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
    const services = createServices(database, { masterKey: randomBytes(32), externalSharing: { key: platformKey } });
    await services.orgs.loadDivisions({ scope: { prefix: '130123' } });
    const departments: Record<string, string> = {};
    for (const d of await ensureDemoDepartments(database.db)) if (d.departmentKind) departments[d.departmentKind] ??= d.code;
    await services.catalog.upsertItems(SEED_SERVICE_ITEMS);
    await services.certificates.upsertTypes(SEED_CERTIFICATE_TYPES);
    await services.keys.ensurePlatformRoot();
    const people = PEOPLE.map(([name, birthDate, gender], i): DemoPerson => ({ residentId: demoResidentId(i), name, birthDate, gender })) as [DemoPerson, DemoPerson, DemoPerson, DemoPerson];
    await seedSharingDemo(services.dataSharing, departments, people, { licenceTypes: await services.certificates.listTypes() });
    await seedBundles(services, departments);
    if (options.externalHospital) {
      // The hospital's birth records from its own system: a separate process over signed HTTP.
      hospital = await startDepartment({ name: '正定县人民医院', datasets: [{ code: 'health.birth_record', records: seedRecords(people)['health.birth_record'] ?? [] }], trust: [platformKey.publicKeyPem] });
      await services.dataSharing.setProvider('health.birth_record', hospital.provider());
    }
    const mother = people[1];
    await services.identity.registerResident({ name: mother.name, residentId: mother.residentId, phone: '13831100002', password: DEMO_PASSWORD, homeOrgCode: DEMO_VILLAGE });
    const { token } = await services.identity.login({ kind: 'resident', residentIdOrPhone: mother.residentId, password: DEMO_PASSWORD, channel: 'app' });
    const principal = await services.identity.authenticate(token);
    if (!principal) throw new Error('demo login failed');
    const started = performance.now();
    const cpu = process.cpuUsage();
    const { bundle } = await services.bundles.start(principal, { bundle: code, form: code === 'retirement' ? { bankAccount: '6228480000000000' } : {}, consent: true }, `demo-${code}-1`);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    return { progress: bundle, burden: await services.bundles.burden(principal, bundle.id), wallMs, cpuMs, ...(hospital ? { hospital: await hospital.stats() } : {}) };
  } finally {
    await hospital?.stop();
    await database.close();
  }
}
