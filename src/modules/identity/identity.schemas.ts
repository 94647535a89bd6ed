import { type TArray, type TString, Type } from '@sinclair/typebox';
import { IsoDate, IsoDateTime, ORG_CODE_PATTERN, Uuid } from '../../http/schemas.ts';
import { STAFF_ROLES } from './access.ts';
import { MAX_PASSWORD_LENGTH } from './crypto.ts';
import { STAFF_ACTIONS, type StaffAction } from './policy.ts';
import { DELEGATION_SCOPES } from './principal.ts';
import { LOGIN_CHANNELS } from './sessions.ts';

const strict = { additionalProperties: false } as const;

const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });
const OrgCode = Type.String({
  minLength: 2,
  maxLength: 40,
  pattern: ORG_CODE_PATTERN,
  description: '机构代码（行政区划代码或统一社会信用代码）',
});
const Role = Type.Union(STAFF_ROLES.map((r) => Type.Literal(r)));
const Scope = Type.Union(DELEGATION_SCOPES.map((s) => Type.Literal(s)));
const Channel = Type.Union(
  LOGIN_CHANNELS.map((c) => Type.Literal(c)),
  { description: 'kiosk 会话 15 分钟后失效' },
);

/** policy.ts's capabilitiesOf: for each staff action allowed somewhere, the org codes where it is (an action allowed nowhere is left out). */
const Capabilities = Type.Partial(
  Type.Object(
    Object.fromEntries(STAFF_ACTIONS.map((action) => [action, Type.Array(Type.String())])) as Record<StaffAction, TArray<TString>>,
  ),
  {
    $id: 'Capabilities',
    title: 'Capabilities',
    description: '每项工作人员操作可在哪些机构（及其辖区）进行；界面据此显示菜单，服务器仍逐次校验 · where each staff action is allowed',
  },
);

export const RoleDto = Type.Object({ role: Role, orgCode: Type.String() }, { ...strict, $id: 'Role', title: 'Role' });

export const RegisterBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 50 }),
    residentId: Type.String({ minLength: 18, maxLength: 30, description: '居民身份证号码（GB 11643）' }),
    phone: Type.String({ maxLength: 20, description: '大陆手机号码' }),
    password: Password,
    homeOrgCode: Type.Optional(Type.String({ maxLength: 12, description: '居住地所在村（社区）代码' })),
  },
  { ...strict, $id: 'RegisterBody', title: 'RegisterBody' },
);

export const RegisterResponse = Type.Object(
  {
    accountId: Uuid,
    name: Type.String(),
    residentIdMasked: Type.String(),
    warnings: Type.Array(Type.Object({ code: Type.Literal('ADDRESS_CODE_NOT_CURRENT'), zh: Type.String(), en: Type.String() })),
  },
  { $id: 'RegisterResult', title: 'RegisterResult' },
);

export const LoginBody = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Literal('resident'),
        residentIdOrPhone: Type.String({ minLength: 1, maxLength: 30, description: '身份证号码或手机号码' }),
        password: Password,
        channel: Channel,
      },
      strict,
    ),
    Type.Object(
      { kind: Type.Literal('staff'), username: Type.String({ minLength: 1, maxLength: 32 }), password: Password, channel: Channel },
      strict,
    ),
  ],
  { $id: 'LoginBody', title: 'LoginBody' },
);

export const AccountDto = Type.Object(
  {
    id: Uuid,
    kind: Type.Union([Type.Literal('resident'), Type.Literal('staff')]),
    name: Type.String(),
    username: Type.Optional(Type.String()),
    residentIdMasked: Type.Optional(Type.String()),
    roles: Type.Array(RoleDto),
    capabilities: Capabilities,
  },
  { $id: 'Account', title: 'Account' },
);

export const LoginResponse = Type.Object(
  {
    token: Type.Optional(Type.String({ description: '会话令牌，仅当请求带 `X-Auth-Mode: bearer` 时返回 · only with X-Auth-Mode: bearer' })),
    expiresAt: IsoDateTime,
    account: AccountDto,
  },
  { $id: 'LoginResult', title: 'LoginResult' },
);

export const ResidentProfile = Type.Object(
  {
    kind: Type.Literal('resident'),
    accountId: Uuid,
    name: Type.String(),
    residentIdMasked: Type.String(),
    phoneMasked: Type.String(),
    birthDate: IsoDate,
    gender: Type.Union([Type.Literal('male'), Type.Literal('female')]),
    homeOrg: Type.Union([Type.Object({ code: Type.String(), name: Type.String() }), Type.Null()]),
  },
  { $id: 'ResidentProfile', title: 'ResidentProfile' },
);

export const StaffProfile = Type.Object(
  {
    kind: Type.Literal('staff'),
    accountId: Uuid,
    name: Type.String(),
    username: Type.String(),
    roles: Type.Array(RoleDto),
    capabilities: Capabilities,
    actingFor: Type.Union([Type.Object({ residentId: Uuid, delegationId: Uuid, scopes: Type.Array(Type.String()) }), Type.Null()]),
  },
  { $id: 'StaffProfile', title: 'StaffProfile' },
);

export const MyProfile = Type.Union([ResidentProfile, StaffProfile], { $id: 'Me', title: 'Me' });

export const HomeOrgBody = Type.Object(
  { orgCode: Type.String({ minLength: 12, maxLength: 12, pattern: '^\\d{12}$' }) },
  { ...strict, $id: 'HomeOrgBody', title: 'HomeOrgBody' },
);

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Password,
    newPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH, description: '至少 10 个字符，且不是常见或易猜的密码' }),
  },
  { ...strict, $id: 'ChangePasswordBody', title: 'ChangePasswordBody' },
);

export const ChangePasswordResponse = Type.Object(
  {
    revokedSessions: Type.Integer({ minimum: 0, description: '已注销的本账号其他会话数' }),
  },
  { $id: 'ChangePasswordResult', title: 'ChangePasswordResult' },
);

export const BootstrapBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200, description: '首次启动时打印的一次性令牌' }),
    username: Type.String({ minLength: 3, maxLength: 32 }),
    name: Type.String({ minLength: 1, maxLength: 50 }),
    password: Password,
  },
  { ...strict, $id: 'BootstrapBody', title: 'BootstrapBody' },
);

export const CreateStaffBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 32 }),
    name: Type.String({ minLength: 1, maxLength: 50 }),
    password: Password,
    roles: Type.Array(Type.Object({ role: Role, orgCode: OrgCode }, strict), { minItems: 1, maxItems: 20 }),
  },
  { ...strict, $id: 'CreateStaffBody', title: 'CreateStaffBody' },
);

export const StaffDto = Type.Object(
  {
    accountId: Uuid,
    username: Type.String(),
    name: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    roles: Type.Array(RoleDto),
    createdAt: IsoDateTime,
  },
  { $id: 'StaffMember', title: 'StaffMember' },
);

export const GrantableRolesQuery = Type.Object(
  { orgCode: OrgCode },
  { ...strict, $id: 'GrantableRolesQuery', title: 'GrantableRolesQuery' },
);

export const GrantableRolesDto = Type.Object(
  { orgCode: Type.String(), roles: Type.Array(Role, { description: '调用者可在该机构授予的角色（辖区外为空）' }) },
  { $id: 'GrantableRoles', title: 'GrantableRoles' },
);

export const RoleBody = Type.Object({ role: Role, orgCode: OrgCode }, { ...strict, $id: 'RoleGrantBody', title: 'RoleGrantBody' });

export const AccountStatusDto = Type.Object(
  {
    accountId: Uuid,
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  },
  { $id: 'AccountStatus', title: 'AccountStatus' },
);

export const CreateDelegationBody = Type.Object(
  {
    helperUsername: Type.String({ minLength: 1, maxLength: 32 }),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: DELEGATION_SCOPES.length, uniqueItems: true }),
    validUntil: Type.String({ format: 'date-time', description: '授权截止时间，一年之内' }),
  },
  { ...strict, $id: 'CreateDelegationBody', title: 'CreateDelegationBody' },
);

export const DelegationDto = Type.Object(
  {
    id: Uuid,
    resident: Type.Object({ accountId: Uuid, name: Type.String(), residentIdMasked: Type.String() }),
    helper: Type.Object({ accountId: Uuid, username: Type.String(), name: Type.String() }),
    scopes: Type.Array(Scope),
    validFrom: IsoDateTime,
    validUntil: IsoDateTime,
    revokedAt: Type.Union([IsoDateTime, Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  },
  { $id: 'Delegation', title: 'Delegation' },
);

export const IdParams = Type.Object({ id: Uuid }, strict);
