import { describe, expect, it } from 'vitest';
import type { StaffRole } from './identity.tables.ts';
import { can, grantsFor, STAFF_ACTIONS, type StaffAction } from './policy.ts';
import type { Principal } from './principal.ts';

// The org tree of the table: province P, city C, county X, township T, village V; a department D
// under the city; a second county Y (elsewhere for everyone below the city).
const P = '44';
const C = '44.4401';
const X = '44.4401.440106';
const T = '44.4401.440106.440106001';
const V = '44.4401.440106.440106001.440106001001';
const D = '44.4401.dept-health';
const Y = '44.4401.440111';

/** Where each role is held in the table (a level it can be held at). */
const HELD_AT: Record<StaffRole, string> = {
  village_reviewer: V,
  township_admin: T,
  county_admin: X,
  city_admin: C,
  department_officer: D,
  supervisor: X,
  platform_admin: P,
  helper: V,
};

/** Below the node where the role is held (a node it can reach only if it covers a subtree). */
const BELOW: Record<StaffRole, string> = {
  village_reviewer: `${V}.x`,
  township_admin: V,
  county_admin: T,
  city_admin: X,
  department_officer: `${D}.x`,
  supervisor: T,
  platform_admin: V,
  helper: `${V}.x`,
};

/** Outside the role's subtree. */
const ELSEWHERE: Record<StaffRole, string> = {
  village_reviewer: Y,
  township_admin: Y,
  county_admin: Y,
  city_admin: '45.4501',
  department_officer: Y,
  supervisor: Y,
  platform_admin: '45.4501',
  helper: Y,
};

const ACTIONS: StaffAction[] = [
  'case.view',
  'case.handle',
  'certificate.view',
  'certificate.changeStatus',
  'overview.view',
  'grant.manage',
  'grant.approve',
  'exchange.request',
  'dataset.keep',
  'sharing.view',
];

// prettier-ignore
/** Every role × action, written out by hand: Y allowed at its own node, - never. */
const TABLE: Record<StaffRole, string> = {
  //                 case.view case.handle cert.view cert.status overview grant.manage grant.approve exchange dataset sharing.view
  village_reviewer:   'Y         Y           Y         Y           -        -            -             Y        -       Y',
  township_admin:     'Y         Y           Y         Y           Y        -            -             Y        -       Y',
  county_admin:       'Y         Y           Y         Y           Y        Y            -             Y        Y       Y',
  city_admin:         'Y         Y           Y         Y           Y        Y            -             Y        Y       Y',
  department_officer: 'Y         Y           Y         Y           -        Y            -             Y        Y       Y',
  supervisor:         'Y         -           Y         -           Y        -            Y             -        -       Y',
  platform_admin:     'Y         Y           Y         Y           Y        Y            -             Y        Y       Y',
  helper:             '-         -           -         -           -        -            -             -        -       -',
};

// ---- applications, certificates and orgs: their own actions, in the same form ----
const ACTIONS_AC: StaffAction[] = ['seal.view', 'signature.activate', 'department.create', 'events.manage'];

// prettier-ignore
const TABLE_AC: Record<StaffRole, string> = {
  //                 seal.view signature.activate department.create events.manage
  village_reviewer:   'Y         -                  -                  -',
  township_admin:     'Y         Y                  Y                  -',
  county_admin:       'Y         Y                  Y                  -',
  city_admin:         'Y         Y                  Y                  -',
  department_officer: 'Y         -                  -                  -',
  supervisor:         'Y         -                  -                  -',
  platform_admin:     'Y         Y                  Y                  Y',
  helper:             '-         -                  -                  -',
};

/** Roles that reach the nodes below where they are held; the platform administrator reaches every node. */
const SUBTREE: ReadonlySet<StaffRole> = new Set(['township_admin', 'county_admin', 'city_admin', 'supervisor', 'platform_admin']);

const staff = (role: StaffRole, orgPath: string): Principal => ({
  accountId: `acct-${role}`,
  kind: 'staff',
  name: role,
  roles: [{ role, orgCode: orgPath.split('.').at(-1)!, orgPath }],
  sessionChannel: 'web',
});

describe('policy: every role × action', () => {
  it('the table names every action the policy knows', () => {
    expect([...STAFF_ACTIONS].sort()).toEqual([...ACTIONS, ...ACTIONS_AC].sort());
  });

  const cases = (Object.keys(TABLE) as StaffRole[]).flatMap((role) => {
    const marks = TABLE[role].split(/\s+/);
    const marksAc = TABLE_AC[role].split(/\s+/);
    return [
      ...ACTIONS.map((action, i) => ({ role, action, allowed: marks[i] === 'Y' })),
      ...ACTIONS_AC.map((action, i) => ({ role, action, allowed: marksAc[i] === 'Y' })),
    ];
  });

  it.each(cases)('$role · $action: allowed = $allowed at its node', ({ role, action, allowed }) => {
    const principal = staff(role, HELD_AT[role]);
    expect(can(principal, action, { orgPath: HELD_AT[role] })).toBe(allowed);
    expect(can(principal, action, { orgPath: BELOW[role] })).toBe(allowed && SUBTREE.has(role));
    expect(can(principal, action, { orgPath: ELSEWHERE[role] })).toBe(allowed && role === 'platform_admin');
    expect(grantsFor(principal, action).length).toBe(allowed ? 1 : 0);
  });

  it('a resident, and a helper acting for one, is allowed no staff action', () => {
    const resident: Principal = { accountId: 'r', kind: 'resident', name: '张三', roles: [], sessionChannel: 'web' };
    const helper: Principal = {
      ...staff('helper', V),
      actingFor: { residentId: 'r', delegationId: 'd', scopes: ['applications.submit'] },
    };
    for (const action of [...ACTIONS, ...ACTIONS_AC]) {
      expect(can(resident, action, { orgPath: V })).toBe(false);
      expect(can(helper, action, { orgPath: V })).toBe(false);
    }
  });

  it('one of several grants is enough, and only at its own reach', () => {
    const principal: Principal = {
      ...staff('village_reviewer', V),
      roles: [
        { role: 'village_reviewer', orgCode: 'v', orgPath: V },
        { role: 'supervisor', orgCode: 'y', orgPath: Y },
      ],
    };
    expect(can(principal, 'case.handle', { orgPath: V })).toBe(true);
    expect(can(principal, 'case.handle', { orgPath: `${Y}.t` })).toBe(false);
    expect(can(principal, 'case.view', { orgPath: `${Y}.t` })).toBe(true);
    expect(can(principal, 'grant.approve', { orgPath: V })).toBe(false);
    expect(grantsFor(principal, 'case.view').map((g) => g.orgPath)).toEqual([V, Y]);
  });
});
