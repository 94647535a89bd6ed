import { describe, expect, it } from 'vitest';
import type { StaffRole } from './identity.tables.ts';
import { can, capabilitiesOf, grantsFor, STAFF_ACTIONS, type StaffAction } from './policy.ts';
import { actsForAnOrg, onBehalfOf, requireResidentScope, systemPrincipal, type Principal } from './principal.ts';

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
  hospital_window: D,
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
  hospital_window: `${D}.x`,
};

/** Outside the role's subtree. */
const ELSEWHERE: Record<StaffRole, string> = {
  village_reviewer: Y,
  township_admin: Y,
  county_admin: Y,
  city_admin: '45.4501  Y',
  department_officer: Y,
  supervisor: Y,
  platform_admin: '45.4501  Y',
  helper: Y,
  hospital_window: `${C}.dept-hospital-b`,
};

const ACTIONS: StaffAction[] = [
  'case.view',
  'case.handle',
  'certificate.view',
  'certificate.changeStatus',
  'overview.view',
  'dashboard.view',
  'grant.manage',
  'grant.approve',
  'exchange.request',
  'dataset.keep',
  'sharing.view',
  'payment.send',
  'payment.view',
];

// prettier-ignore
/** Every role × action, written out by hand: Y allowed at its own node, - never. */
const TABLE: Record<StaffRole, string> = {
  //                 case.view case.handle cert.view cert.status overview dashboard grant.manage grant.approve exchange dataset sharing.view payment.send payment.view
  village_reviewer:   'Y         Y           Y         Y           -        Y        -            -             Y        -       Y            -            -',
  township_admin:     'Y         Y           Y         Y           Y        Y        -            -             Y        -       Y            -            -',
  county_admin:       'Y         Y           Y         Y           Y        Y        Y            -             Y        Y       Y            -            -',
  city_admin:         'Y         Y           Y         Y           Y        Y        Y            -             Y        Y       Y            -            -',
  department_officer: 'Y         Y           Y         Y           -        Y        Y            -             Y        Y       Y            Y            Y',
  supervisor:         'Y         -           Y         -           Y        Y        -            Y             -        -       Y            -            Y',
  platform_admin:     'Y         Y           Y         Y           Y        Y        Y            -             Y        Y       Y            -            Y',
  helper:             '-         -           -         -           -        -        -            -             -        -       -            -            -',
  hospital_window:    '-         -           -         -           -        -        -            -             -        -       -            -            -',
};

// ---- applications, certificates, orgs, identity, rules and the platform: their own actions, in the same form ----
const ACTIONS_AC: StaffAction[] = [
  'seal.view',
  'signature.activate',
  'signature.upload',
  'department.create',
  'staff.manage',
  'rule.view',
  'rule.manage',
  'events.manage',
  'benefit.view',
  'insurance.view',
  'insurance.manage',
  'rating.view',
  'rating.manage',
  'rating.decide',
  'sla.manage',
];

// prettier-ignore
const TABLE_AC: Record<StaffRole, string> = {
  //                 seal.view signature.activate signature.upload department.create staff.manage rule.view rule.manage events.manage benefit.view insurance.view insurance.manage rating.view rating.manage rating.decide sla.manage
  village_reviewer:   'Y         -                  Y                -                 -            Y         -           -           -           -              -                Y           Y             -             -',
  township_admin:     'Y         Y                  -                Y                 Y            Y         -           -           Y           Y              -                Y           Y             -             -',
  county_admin:       'Y         Y                  -                Y                 Y            Y         Y           -           Y           Y              Y                Y           Y             -             Y',
  city_admin:         'Y         Y                  -                Y                 Y            Y         Y           -           Y           Y              Y                Y           Y             -             Y',
  department_officer: 'Y         -                  Y                -                 -            Y         Y           -           Y           Y              Y                Y           Y             -             -',
  supervisor:         'Y         -                  -                -                 -            Y         -           -           Y           Y              -                Y           -             Y             Y',
  platform_admin:     'Y         Y                  -                Y                 Y            Y         Y           Y           Y           Y              Y                Y           Y             -             Y',
  helper:             '-         -                  -                -                 -            -         -           -           -           -              -                -           -             -             -',
  hospital_window:    '-         -                  -                -                 -            -         -           -           -           -              -                -           -             -             -',
};

// ---- medical insurance: the hospital window ----
const ACTIONS_INS: StaffAction[] = ['insurance.window'];

// prettier-ignore
const TABLE_INS: Record<StaffRole, string> = {
  //                 insurance.window
  village_reviewer:   '-',
  township_admin:     '-',
  county_admin:       '-',
  city_admin:         '-',
  department_officer: '-',
  supervisor:         '-',
  platform_admin:     '-',
  helper:             '-',
  hospital_window:    'Y',
};

// ---- the federation hub: approving, rejecting and revoking members ----
const ACTIONS_FED: StaffAction[] = ['federation.manage'];

// prettier-ignore
const TABLE_FED: Record<StaffRole, string> = {
  //                 federation.manage
  village_reviewer:   '-',
  township_admin:     '-',
  county_admin:       '-',
  city_admin:         '-',
  department_officer: '-',
  supervisor:         '-',
  platform_admin:     'Y',
  helper:             '-',
  hospital_window:    '-',
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
    expect([...STAFF_ACTIONS].sort()).toEqual([...ACTIONS, ...ACTIONS_AC, ...ACTIONS_INS, ...ACTIONS_FED].sort());
  });

  const cases = (Object.keys(TABLE) as StaffRole[]).flatMap((role) => {
    const marks = TABLE[role].split(/\s+/);
    const marksAc = TABLE_AC[role].split(/\s+/);
    const marksIns = TABLE_INS[role].split(/\s+/);
    const marksFed = TABLE_FED[role].split(/\s+/);
    return [
      ...ACTIONS.map((action, i) => ({ role, action, allowed: marks[i] === 'Y' })),
      ...ACTIONS_AC.map((action, i) => ({ role, action, allowed: marksAc[i] === 'Y' })),
      ...ACTIONS_INS.map((action, i) => ({ role, action, allowed: marksIns[i] === 'Y' })),
      ...ACTIONS_FED.map((action, i) => ({ role, action, allowed: marksFed[i] === 'Y' })),
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
    for (const action of [...ACTIONS, ...ACTIONS_AC, ...ACTIONS_INS, ...ACTIONS_FED]) {
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

  it('capabilities: for each action allowed somewhere, the org codes of the grants that allow it, once each', () => {
    const principal: Principal = {
      ...staff('village_reviewer', V),
      roles: [
        { role: 'village_reviewer', orgCode: 'v', orgPath: V },
        { role: 'helper', orgCode: 'v', orgPath: V },
        { role: 'township_admin', orgCode: 't', orgPath: T },
        { role: 'supervisor', orgCode: 't', orgPath: T },
      ],
    };
    const capabilities = capabilitiesOf(principal);
    expect(capabilities['case.view']).toEqual(['v', 't']);
    expect(capabilities['overview.view']).toEqual(['t']);
    expect(capabilities['signature.upload']).toEqual(['v']);
    expect(capabilities['staff.manage']).toEqual(['t']);
    expect(capabilities).not.toHaveProperty('grant.manage');
    expect(Object.keys(capabilities).every((a) => STAFF_ACTIONS.includes(a as StaffAction))).toBe(true);
    expect(capabilitiesOf({ kind: 'resident', roles: [] })).toEqual({});
    expect(capabilitiesOf(staff('helper', V))).toEqual({});
  });
});

describe('policy: a system actor (a rule, a bundle prefill) does what its authority names, nowhere else', () => {
  const rule = systemPrincipal({
    actor: 'rule:birth.medical',
    at: { orgCode: 'dept-health', orgPath: D, actions: ['case.view', 'case.handle'] },
  });

  it('holds no roles, is no resident, and is named by its actor', () => {
    expect(rule).toMatchObject({ kind: 'system', roles: [], name: 'rule:birth.medical' });
    expect(actsForAnOrg(rule)).toBe(true);
    expect(onBehalfOf(rule)).toBeNull();
    expect(() => requireResidentScope(rule, 'applications.submit')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it.each([...ACTIONS, ...ACTIONS_AC, ...ACTIONS_INS, ...ACTIONS_FED])(
    '%s: allowed at its own node only when its authority names it',
    (action) => {
      const named = action === 'case.view' || action === 'case.handle';
      expect(can(rule, action, { orgPath: D })).toBe(named);
      // Never below, above or beside its node, whatever the action.
      for (const elsewhere of [`${D}.x`, C, P, Y, V]) expect(can(rule, action, { orgPath: elsewhere })).toBe(false);
      // It lists nothing: list queries are for people.
      expect(grantsFor(rule, action)).toEqual([]);
    },
  );

  it('acting for a resident: only the scopes given, recorded as on behalf of them', () => {
    const forParent = systemPrincipal({ actor: 'bundle', forResident: { residentId: 'r-1', scopes: ['applications.submit'] } });
    expect(requireResidentScope(forParent, 'applications.submit')).toBe('r-1');
    expect(() => requireResidentScope(forParent, 'certificates.view')).toThrow(expect.objectContaining({ code: 'DELEGATION_REQUIRED' }));
    expect(onBehalfOf(forParent)).toBe('r-1');
    expect(actsForAnOrg(forParent)).toBe(false);
    for (const action of [...ACTIONS, ...ACTIONS_AC, ...ACTIONS_INS, ...ACTIONS_FED])
      expect(can(forParent, action, { orgPath: V })).toBe(false);
  });

  it('the same actor at the same place is the same account id; another place is another', () => {
    const again = systemPrincipal({ actor: 'rule:birth.medical', at: { orgCode: 'dept-health', orgPath: D, actions: [] } });
    const other = systemPrincipal({
      actor: 'rule:birth.medical',
      at: { orgCode: 'dept-police', orgPath: `${C}.dept-police`, actions: [] },
    });
    expect(again.accountId).toBe(rule.accountId);
    expect(other.accountId).not.toBe(rule.accountId);
    expect(rule.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
