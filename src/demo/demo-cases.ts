import type { Services } from '../app.ts';
import type { Database } from '../db/database.ts';
import { createApplicationsService } from '../modules/applications/index.ts';
import type { Principal } from '../modules/identity/index.ts';
import { DEMO_PASSWORD } from './demo-people.ts';

/** The demo's cases in every state, a data exchange waiting for consent and a helper's delegation (seedDemo, once). */

/** The four demo residents, logged in, in the order of demo-people.ts. */
type DemoResidents = [Principal, Principal, Principal, Principal];

export async function seedDemoCases(database: Database, services: Services, residents: DemoResidents): Promise<void> {
  const reviewer = await loginAs(services, { kind: 'staff', username: 'tyz-reviewer', password: DEMO_PASSWORD, channel: 'web' });
  const police = await loginAs(services, { kind: 'staff', username: 'zd-police', password: DEMO_PASSWORD, channel: 'web' });
  const [zhang, wang, li, liu] = residents;
  const apps = services.applications;
  const residence = (purpose: string) => ({
    serviceCode: 'cert.residence',
    form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose },
  });

  await apps.submit(zhang, residence('school'));
  const inReview = await apps.submit(wang, residence('employment'));
  await apps.act(reviewer, inReview.case.id, 'accept');
  await apps.act(reviewer, inReview.case.id, 'start_review');
  const returned = await apps.submit(li, {
    serviceCode: 'cert.family_economic_status',
    form: { householdSize: '4', annualIncome: '36000', purpose: 'school' },
  });
  await apps.act(reviewer, returned.case.id, 'return', '请补充家庭收入情况说明（村委会盖章）');
  const done = await apps.submit(liu, {
    serviceCode: 'cert.kinship',
    form: { relativeName: '刘建国', relation: 'parent', purpose: 'social_security' },
  });
  // Approval issues the kinship proof and completes the case.
  await apps.act(reviewer, done.case.id, 'approve');
  const rejected = await apps.submit(li, residence('other'));
  await apps.act(reviewer, rejected.case.id, 'reject', '申请人户籍与居住信息不符');
  await apps.submit(zhang, { serviceCode: 'cert.no_criminal_record', form: { purpose: 'employment', destination: '正定县第一中学' } });
  const policeCase = await apps.submit(wang, { serviceCode: 'cert.no_criminal_record', form: { purpose: 'employment' } });
  await apps.act(police, policeCase.case.id, 'accept');

  // A case submitted three weeks ago and still waiting: it shows up as overdue.
  const past = new Date(Date.now() - 21 * 86_400_000);
  const pastApps = createApplicationsService({
    db: database.db,
    catalog: services.catalog,
    orgs: services.orgs,
    residents: services.identity,
    events: services.events,
    clock: () => past,
  });
  await pastApps.submit(liu, residence('school'));

  // 王芳 applies for her newborn's household registration; 公安 fetches the delivery record under
  // a law-based grant and asks for the marriage record, which waits for her consent.
  const birthCase = await apps.submit(wang, {
    serviceCode: 'birth.household_registration',
    form: { childName: '张小宝', householdHead: '张伟' },
  });
  for (const [datasetCode, fields] of [
    ['health.birth_record', ['childName', 'childGender', 'birthTime', 'birthPlace', 'certificateNo']],
    ['civil.marriage_record', ['maritalStatus', 'spouseName', 'certificateNo']],
  ] as const) {
    await services.dataSharing.requestExchange(police, {
      requestKey: `demo-${datasetCode.replace('.', '-')}`,
      datasetCode,
      fields: [...fields],
      purpose: 'birth.household_registration',
      caseId: birthCase.case.id,
    });
  }

  await services.identity.createDelegation(wang, {
    helperUsername: 'tyz-helper',
    scopes: ['applications.submit', 'applications.view'],
    validUntil: new Date(Date.now() + 180 * 86_400_000),
  });
}

export async function loginAs(services: Services, input: Parameters<Services['identity']['login']>[0]): Promise<Principal> {
  const { token } = await services.identity.login(input);
  const principal = await services.identity.authenticate(token);
  if (!principal) throw new Error('demo login failed');
  return principal;
}
