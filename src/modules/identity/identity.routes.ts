import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { readToken, requirePrincipal } from '../../http/auth.ts';
import { clearSessionCookie, deliverSession, LoginHeaders } from '../../http/session.ts';
import { ORG_CODE_PATTERN, PageQuery, withErrors } from '../../http/schemas.ts';
import { clientAddress } from '../../http/rate-limit.ts';
import {
  AccountStatusDto,
  BootstrapBody,
  ChangePasswordBody,
  ChangePasswordResponse,
  CreateDelegationBody,
  CreateStaffBody,
  DelegationDto,
  GrantableRolesDto,
  GrantableRolesQuery,
  HomeOrgBody,
  IdParams,
  LoginBody,
  LoginResponse,
  MyProfile,
  RegisterBody,
  RegisterResponse,
  ResidentProfile,
  RoleBody,
  StaffDto,
} from './identity.schemas.ts';
import type { IdentityService } from './identity.service.ts';

const tags = ['identity'];

export function identityRoutes(deps: { identity: IdentityService }): FastifyPluginAsyncTypebox {
  const { identity } = deps;
  return (app) => {
    app.post(
      '/auth/residents/register',
      {
        schema: {
          tags,
          summary: '居民实名注册 · register a resident under their real name',
          security: [],
          body: RegisterBody,
          response: withErrors({ 201: RegisterResponse }, [400, 409, 429]),
        },
        config: { rateLimitClass: 'register' },
      },
      async (request, reply) => reply.status(201).send(await identity.registerResident(request.body)),
    );

    app.post(
      '/auth/login',
      {
        schema: {
          tags,
          summary: '登录（居民或工作人员）· log in',
          description:
            '浏览器：会话只放在 HttpOnly Cookie 中，应答体不含令牌。接口客户端发送 `X-Auth-Mode: bearer`，令牌在应答体中（不设 Cookie），之后以 `Authorization: Bearer` 使用。连续 5 次失败锁定 15 分钟。' +
            ' Browsers get the session only as an HttpOnly cookie; API clients send `X-Auth-Mode: bearer` to receive the token in the body instead.',
          security: [],
          headers: LoginHeaders,
          body: LoginBody,
          response: withErrors({ 200: LoginResponse }, [400, 401, 403, 423, 429]),
        },
        config: { rateLimitClass: 'login' },
      },
      async (request, reply) => {
        return deliverSession(request, reply, await identity.login({ ...request.body, source: clientAddress(request) }), {
          persistent: true,
        });
      },
    );

    app.post(
      '/auth/logout',
      {
        schema: {
          tags,
          summary: '退出登录 · log out',
          description: '结束会话并清除会话 Cookie。会话属于 X-Yiban-Account 以外的账号时不结束它（另一标签页已换人登录）。',
          response: withErrors({ 204: Type.Null() }, [400, 403]),
        },
      },
      async (request, reply) => {
        // A tab still showing an earlier account must not end the session someone else started since.
        if (request.sessionMismatch) return reply.status(204).send(null);
        const token = readToken(request);
        if (token) await identity.logout(token);
        clearSessionCookie(request, reply);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/password',
      {
        schema: {
          tags,
          summary: '修改密码（需当前密码；本账号的其他会话全部注销）· change my password',
          body: ChangePasswordBody,
          response: withErrors({ 200: ChangePasswordResponse }, [400, 401, 403, 423]),
        },
      },
      async (request) => identity.changePassword(requirePrincipal(request), request.body, readToken(request), clientAddress(request)),
    );

    app.post(
      '/auth/bootstrap',
      {
        schema: {
          tags,
          summary: '首次设置：用一次性令牌创建第一位平台管理员 · create the first platform administrator with the one-time token',
          description: '令牌在平台没有管理员时启动打印一次，24 小时内有效，只能使用一次。',
          security: [],
          body: BootstrapBody,
          response: withErrors({ 201: StaffDto }, [400, 403, 409]),
        },
      },
      async (request, reply) => reply.status(201).send(await identity.bootstrapAdmin(request.body)),
    );

    app.get(
      '/me',
      { schema: { tags, summary: '我的账号 · my account', response: withErrors({ 200: MyProfile }, [401, 403]) } },
      async (request) => identity.getMyProfile(requirePrincipal(request)),
    );

    app.put(
      '/me/home-org',
      {
        schema: {
          tags,
          summary: '设置居住地村（社区）· set my home village',
          body: HomeOrgBody,
          response: withErrors({ 200: ResidentProfile }, [400, 401, 403]),
        },
      },
      async (request) => identity.setHomeOrg(requirePrincipal(request), request.body.orgCode),
    );

    app.post(
      '/staff',
      {
        schema: {
          tags,
          summary: '新建工作人员账号 · create a staff account',
          body: CreateStaffBody,
          response: withErrors({ 201: StaffDto }, [400, 401, 403, 409]),
        },
      },
      async (request, reply) => reply.status(201).send(await identity.createStaff(requirePrincipal(request), request.body)),
    );

    app.get(
      '/staff',
      {
        schema: {
          tags,
          summary: '本辖区工作人员 · staff in my area',
          querystring: Type.Object(
            { orgCode: Type.String({ minLength: 2, maxLength: 40, pattern: ORG_CODE_PATTERN }), ...PageQuery },
            { additionalProperties: false },
          ),
          response: withErrors(
            { 200: Type.Object({ items: Type.Array(StaffDto), next: Type.Union([Type.String(), Type.Null()]) }) },
            [400, 401, 403, 404],
          ),
        },
      },
      async (request) => identity.listStaff(requirePrincipal(request), request.query),
    );

    app.get(
      '/staff/grantable-roles',
      {
        schema: {
          tags,
          summary: '我可在某机构授予的角色 · the roles I may grant at an org',
          description: '与授予角色时的校验相同（角色所在层级与授权范围）；辖区外的机构为空列表。',
          querystring: GrantableRolesQuery,
          response: withErrors({ 200: GrantableRolesDto }, [400, 401, 403, 404]),
        },
      },
      async (request) => identity.listGrantableRoles(requirePrincipal(request), request.query.orgCode),
    );

    app.post(
      '/staff/:id/roles',
      {
        schema: {
          tags,
          summary: '授予角色 · grant a role',
          params: IdParams,
          body: RoleBody,
          response: withErrors({ 200: StaffDto }, [400, 401, 403, 404]),
        },
      },
      async (request) => identity.grantRole(requirePrincipal(request), request.params.id, request.body),
    );

    app.delete(
      '/staff/:id/roles',
      {
        schema: {
          tags,
          summary: '撤销角色 · revoke a role',
          params: IdParams,
          querystring: RoleBody,
          response: withErrors({ 200: StaffDto }, [400, 401, 403, 404]),
        },
      },
      async (request) => identity.revokeRole(requirePrincipal(request), request.params.id, request.query),
    );

    for (const [action, summary] of [
      ['disable', '停用账号（立即注销其会话）· disable an account'],
      ['enable', '启用账号 · enable an account'],
    ] as const) {
      app.post(
        `/accounts/:id/${action}`,
        { schema: { tags, summary, params: IdParams, response: withErrors({ 200: AccountStatusDto }, [400, 401, 403, 404]) } },
        async (request) => {
          const principal = requirePrincipal(request);
          return action === 'disable'
            ? identity.disableAccount(principal, request.params.id)
            : identity.enableAccount(principal, request.params.id);
        },
      );
    }

    app.post(
      '/delegations',
      {
        schema: {
          tags,
          summary: '授权帮办员代办 · authorise a helper',
          body: CreateDelegationBody,
          response: withErrors({ 201: DelegationDto }, [400, 401, 403, 404]),
        },
      },
      async (request, reply) => reply.status(201).send(await identity.createDelegation(requirePrincipal(request), request.body)),
    );

    app.get(
      '/delegations',
      {
        schema: {
          tags,
          summary: '帮办授权列表（居民：我给出的；帮办员：我收到的有效授权）· helper authorisations',
          response: withErrors({ 200: Type.Object({ items: Type.Array(DelegationDto) }) }, [401, 403]),
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        const items =
          principal.kind === 'resident' ? await identity.listMyDelegations(principal) : await identity.listMyPrincipals(principal);
        return { items };
      },
    );

    app.delete(
      '/delegations/:id',
      {
        schema: {
          tags,
          summary: '撤销帮办授权 · withdraw an authorisation',
          params: IdParams,
          response: withErrors({ 204: Type.Null() }, [400, 401, 404]),
        },
      },
      async (request, reply) => {
        await identity.revokeDelegation(requirePrincipal(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
    return Promise.resolve();
  };
}
