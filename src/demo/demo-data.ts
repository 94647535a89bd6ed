import type { Services } from '../app.ts';
import type { Principal } from '../modules/identity/index.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { listCertificateTypes, SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import { ensureDemoDepartments } from '../modules/orgs/index.ts';
import type { Database } from '../db/database.ts';
import { seedSharingDemo } from '../modules/sharing/index.ts';
import { seedBundles } from '../modules/bundles/index.ts';
import { seedInstantApprovals } from '../modules/instant/index.ts';
import { seedInsuranceServices, seedRules } from '../modules/rules/index.ts';
import { seedInsurance } from '../modules/insurance/index.ts';
import { seedBenefits } from '../modules/benefits/index.ts';
import { loginAs, seedDemoCases } from './demo-cases.ts';
import {
  DEMO_PASSWORD,
  DEMO_PROVINCE,
  DEMO_STAFF,
  DEMO_VILLAGE,
  demoCredentials,
  demoPeople,
  demoResidentId,
  DEMO_RESIDENTS,
  type DemoCredential,
} from './demo-people.ts';

export interface SeedDemoOptions {
  /** Hebei by default; the whole country; or (for tests) one subtree by code prefix. */
  divisions: 'hebei' | 'all' | { prefix: string };
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** True once the demo has been loaded into this database. */
export async function isDemoSeeded(services: Services): Promise<boolean> {
  return (await services.identity.findResidentByResidentId(demoResidentId(0))) !== null;
}

/**
 * What every install loads, demo or not: divisions, departments, the service catalogue and
 * certificate types, the platform root key, the sharing datasets and grants (no personal
 * records), the life-event bundles and the rules in force (高龄津贴). No accounts. Safe to run again. Returns the department
 * codes by kind.
 */
export async function seedPlatform(database: Database, services: Services, options: SeedDemoOptions): Promise<Record<string, string>> {
  const byKind = await seedPlatformData(database, services, options);
  // 秒批 of residence proofs: its law-based grants and its rule (last: seedDemo's cases come before it).
  await seedInstantApprovals(services);
  return byKind;
}

async function seedPlatformData(database: Database, services: Services, options: SeedDemoOptions): Promise<Record<string, string>> {
  await services.orgsAdmin.loadDivisions({
    scope: options.divisions,
    onProgress: (done, total) => options.onProgress?.('divisions', done, total),
  });
  const departments = await ensureDemoDepartments(database.db);
  const byKind: Record<string, string> = {};
  for (const d of departments) if (d.departmentKind) byKind[d.departmentKind] ??= d.code;
  await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
  await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
  await services.keys.ensurePlatformRoot();
  await seedSharingDemo(services.sharingAdmin, byKind, null, { licenceTypes: await listCertificateTypes(database.db) });
  await seedBundles(database.db, services, byKind);
  await seedRules(database.db, services.ledger, { civilAffairsOrgCode: byKind.civil_affairs! });
  await seedBenefits(database.db, services, byKind);
  // 医保: the 43 services' data grants and the instant filing rule; policies, catalogue and the pooling region.
  await seedInsuranceServices(services, { medicalSecurityOrgCode: byKind.medical_security! });
  await seedInsurance(database.db, [{ region: '130100', nameZh: '石家庄市', officeOrgCode: byKind.medical_security! }]);
  return byKind;
}

/** True once seedPlatform has run on this database (the province and the catalogue are there). */
export async function isPlatformSeeded(database: Database, services: Services): Promise<boolean> {
  return (await services.orgs.getOrg(DEMO_PROVINCE)) !== null && (await listCertificateTypes(database.db)).length > 0;
}

/**
 * Demo mode only: seedPlatform's data, then staff at every level of the four-level liaison with the
 * published DEMO_PASSWORD, residents of 塔元庄村, their dataset records and cases in every state,
 * and last the 秒批 seed. Safe to run again.
 */
export async function seedDemo(database: Database, services: Services, options: SeedDemoOptions): Promise<DemoCredential[]> {
  const byKind = await seedPlatformData(database, services, options);

  for (const s of DEMO_STAFF) {
    const orgCode = typeof s.orgCode === 'string' ? s.orgCode : s.orgCode(byKind);
    await services.identityAdmin.ensureStaff({
      username: s.username,
      name: s.name,
      password: DEMO_PASSWORD,
      roles: [{ role: s.role, orgCode }],
    });
  }
  const credentials = demoCredentials();

  const seeded = await isDemoSeeded(services);
  const residents: Principal[] = [];
  for (const [i, r] of DEMO_RESIDENTS.entries()) {
    const residentId = demoResidentId(i);
    if (!seeded) {
      await services.identity.registerResident({
        name: r.name,
        residentId,
        phone: r.phone,
        password: DEMO_PASSWORD,
        homeOrgCode: DEMO_VILLAGE,
      });
    }
    residents.push(await loginAs(services, { kind: 'resident', residentIdOrPhone: residentId, password: DEMO_PASSWORD, channel: 'app' }));
  }
  await seedSharingDemo(services.sharingAdmin, byKind, demoPeople(), { licenceTypes: await listCertificateTypes(database.db) });
  if (!seeded) await seedDemoCases(database, services, residents as [Principal, Principal, Principal, Principal]);
  // After the demo's cases: a rule version decides only what is submitted while it is in force,
  // so the seeded queue stays for the officers.
  await seedInstantApprovals(services);
  return credentials;
}
