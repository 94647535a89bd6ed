import { describe, expect, it } from 'vitest';
import { canGrantRole, canManageResident, canManageStaff, canSeeStaff, grantableRoles } from './access.ts';
import type { StaffRole } from './identity.tables.ts';
import type { Principal } from './principal.ts';

const COUNTY = '13.1301.130123';
const VILLAGE = `${COUNTY}.130123100.130123100201`;
const OTHER_VILLAGE = '13.1301.130125.130125100.130125100201';

function staff(role: StaffRole, orgPath: string): Principal {
  return {
    accountId: 'a',
    kind: 'staff',
    name: 'x',
    sessionChannel: 'web',
    roles: [{ role, orgCode: orgPath.split('.').pop()!, orgPath }],
  };
}

describe('account administration rules', () => {
  const countyAdmin = staff('county_admin', COUNTY);

  it('lets an administrator grant ordinary roles in its subtree and administrator roles strictly below it', () => {
    expect(canGrantRole(countyAdmin, { role: 'village_reviewer', orgPath: VILLAGE })).toBe(true);
    expect(canGrantRole(countyAdmin, { role: 'helper', orgPath: COUNTY })).toBe(true);
    expect(canGrantRole(countyAdmin, { role: 'township_admin', orgPath: `${COUNTY}.130123100` })).toBe(true);
    expect(canGrantRole(countyAdmin, { role: 'county_admin', orgPath: COUNTY })).toBe(false);
    expect(canGrantRole(countyAdmin, { role: 'village_reviewer', orgPath: OTHER_VILLAGE })).toBe(false);
    expect(canGrantRole(countyAdmin, { role: 'platform_admin', orgPath: VILLAGE })).toBe(false);
    expect(canGrantRole(staff('platform_admin', '13'), { role: 'platform_admin', orgPath: '13' })).toBe(true);
    expect(canGrantRole(staff('village_reviewer', VILLAGE), { role: 'helper', orgPath: VILLAGE })).toBe(false);
    expect(canGrantRole(staff('supervisor', COUNTY), { role: 'helper', orgPath: VILLAGE })).toBe(false);
  });

  it('offers at an org the roles held at its level that canGrantRole allows', () => {
    expect(grantableRoles(countyAdmin, { path: `${COUNTY}.130123100`, level: 'township' })).toEqual([
      'township_admin',
      'supervisor',
      'helper',
    ]);
    expect(grantableRoles(countyAdmin, { path: COUNTY, level: 'county' })).toEqual(['helper']);
    expect(grantableRoles(countyAdmin, { path: OTHER_VILLAGE, level: 'village' })).toEqual([]);
    expect(grantableRoles(staff('platform_admin', '13'), { path: VILLAGE, level: 'village' })).toEqual([
      'village_reviewer',
      'platform_admin',
      'helper',
    ]);
    expect(grantableRoles(staff('village_reviewer', VILLAGE), { path: VILLAGE, level: 'village' })).toEqual([]);
  });

  it('sees an account with any role in reach, manages it only when every role is in reach', () => {
    const mixed = [
      { role: 'village_reviewer' as const, orgPath: VILLAGE },
      { role: 'village_reviewer' as const, orgPath: OTHER_VILLAGE },
    ];
    expect(canSeeStaff(countyAdmin, mixed)).toBe(true);
    expect(canManageStaff(countyAdmin, mixed)).toBe(false);
    expect(canManageStaff(countyAdmin, mixed.slice(0, 1))).toBe(true);
    expect(canSeeStaff(countyAdmin, [])).toBe(false);
    expect(canManageResident(countyAdmin, VILLAGE)).toBe(true);
    expect(canManageResident(countyAdmin, null)).toBe(false);
    expect(canManageResident(staff('village_reviewer', VILLAGE), VILLAGE)).toBe(false);
  });
});
