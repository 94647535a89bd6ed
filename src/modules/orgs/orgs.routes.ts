import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { PageQuery, withErrors } from '../../http/schemas.ts';
import { CreateDepartmentBody, OrgCode, OrgDto, OrgLevelSchema, toOrgDto } from './orgs.schemas.ts';
import type { OrgsService } from './orgs.service.ts';

const CodeParams = Type.Object({ code: OrgCode }, { additionalProperties: false });
const OrgList = Type.Object({ items: Type.Array(OrgDto) });

/** The administrative tree is public; creating a department needs an administrator. */
export function orgsRoutes(deps: { orgs: OrgsService }): FastifyPluginAsyncTypebox {
  const { orgs } = deps;
  return (app) => {
    app.get(
      '/orgs',
      {
        schema: {
          tags: ['orgs'],
          summary: '搜索机构 · search divisions and departments by name',
          security: [],
          querystring: Type.Object(
            {
              q: Type.String({ minLength: 1, maxLength: 50, description: '名称片段或代码前缀' }),
              level: Type.Optional(OrgLevelSchema),
              under: Type.Optional(OrgCode),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
            },
            { additionalProperties: false },
          ),
          response: withErrors({ 200: OrgList }, [400, 404]),
        },
      },
      async (request) => ({ items: (await orgs.searchOrgs(request.query)).map(toOrgDto) }),
    );

    app.get(
      '/orgs/:code',
      {
        schema: {
          tags: ['orgs'],
          summary: '机构详情 · one division or department',
          security: [],
          params: CodeParams,
          response: withErrors({ 200: OrgDto }, [400, 404]),
        },
      },
      async (request) => toOrgDto(await orgs.requireOrg(request.params.code)),
    );

    app.get(
      '/orgs/:code/children',
      {
        schema: {
          tags: ['orgs'],
          summary: '下级机构 · children in code order, paged',
          security: [],
          params: CodeParams,
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: withErrors(
            { 200: Type.Object({ items: Type.Array(OrgDto), next: Type.Union([Type.String(), Type.Null()]) }) },
            [400, 404],
          ),
        },
      },
      async (request) => {
        const page = await orgs.listChildren(request.params.code, request.query);
        return { items: page.items.map(toOrgDto), next: page.next };
      },
    );

    app.get(
      '/orgs/:code/ancestors',
      {
        schema: {
          tags: ['orgs'],
          summary: '上级链 · the chain from the province down to this org',
          security: [],
          params: CodeParams,
          response: withErrors({ 200: OrgList }, [400, 404]),
        },
      },
      async (request) => ({ items: (await orgs.getAncestors(request.params.code)).map(toOrgDto) }),
    );

    app.post(
      '/orgs/departments',
      {
        schema: {
          tags: ['orgs'],
          summary: '新建部门 · attach a department to a division',
          body: CreateDepartmentBody,
          response: withErrors({ 201: OrgDto }, [400, 401, 403, 404, 409]),
        },
      },
      async (request, reply) => {
        const org = await orgs.createDepartment(requirePrincipal(request), request.body);
        return reply.status(201).send(toOrgDto(org));
      },
    );
    return Promise.resolve();
  };
}
