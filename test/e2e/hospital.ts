import type { Platform } from '../../src/platform.ts';
import { DEMO_COUNTY, DEMO_PASSWORD } from '../../src/demo/demo-people.ts';
import { systemPrincipal } from '../../src/modules/identity/index.ts';
import { makeCreditCode } from '../../src/modules/orgs/credit-code.ts';
import { sm2SigningKey } from '../../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../../src/verify/sm2-keys.ts';

/**
 * A hospital of the demo county with its insurance window: the hospital's org, the designated
 * institution (its own SM2 key), and a clerk (`hospital_window`) who signs in with the demo password.
 */
export async function demoHospitalWindow(
  platform: Platform,
  hospital: { code: string; nameZh: string; nameEn: string; level: 1 | 2 | 3; creditSerial: string; clerk: string },
): Promise<void> {
  const { services } = platform;
  const county = (await services.orgs.getOrg(DEMO_COUNTY))!;
  const setup = systemPrincipal({
    actor: 'e2e:hospital',
    at: { orgCode: county.code, orgPath: county.path, actions: ['department.create'] },
  });
  const org = await services.orgs.createDepartment(setup, {
    name: hospital.nameZh,
    kind: 'hospital',
    creditCode: makeCreditCode(`12${DEMO_COUNTY}${hospital.creditSerial}`),
    parentCode: DEMO_COUNTY,
  });
  const key = sm2SigningKey(`${hospital.code}-key`, sm2GenerateKeyPair().privateKey);
  await services.insuranceAdmin.registerInstitution({
    code: hospital.code,
    nameZh: hospital.nameZh,
    nameEn: hospital.nameEn,
    level: hospital.level,
    region: DEMO_COUNTY,
    keyId: key.keyId,
    publicKey: key.publicKey,
    orgCode: org.code,
  });
  services.insurance.reference.clear();
  await services.identityAdmin.ensureStaff({
    username: hospital.clerk,
    name: '医保窗口收费员',
    password: DEMO_PASSWORD,
    roles: [{ role: 'hospital_window', orgCode: org.code }],
  });
}
