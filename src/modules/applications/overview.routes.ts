import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { Nullable, OrgCodeParam, withErrors } from '../../http/schemas.ts';
import type { ApplicationsService } from './applications.service.ts';
import type { OverviewService } from './overview.ts';

const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });
const OrgRef = Type.Object({ code: Type.String(), name: Type.String(), level: Type.String() });
const Counts = Type.Object({ open: Type.Integer(), overdue: Type.Integer() });

const OverviewSchema = Type.Object(
  {
    org: OrgRef,
    trail: Type.Array(OrgRef),
    today: Type.String({ format: 'date' }),
    totals: Counts,
    children: Type.Array(
      Type.Object({
        code: Type.String(),
        name: Type.String(),
        level: Type.String(),
        open: Type.Integer(),
        overdue: Type.Integer(),
        leaf: Type.Boolean(),
      }),
    ),
  },
  { $id: 'Overview', title: 'Overview' },
);

const HelperActSchema = Type.Object(
  {
    caseId: Type.String({ format: 'uuid' }),
    caseNo: Type.String(),
    serviceName: Bilingual,
    action: Type.String(),
    actionLabel: Bilingual,
    fromState: Nullable(Type.String()),
    toState: Type.String(),
    helperId: Type.String({ format: 'uuid' }),
    channel: Type.String(),
    at: Type.String({ format: 'date-time' }),
  },
  { $id: 'HelperAct', title: 'HelperAct' },
);

export function overviewRoutes(deps: { overview: OverviewService; applications: ApplicationsService }): FastifyPluginAsyncTypebox {
  const { overview, applications } = deps;
  return (app) => {
    app.get(
      '/overview',
      {
        schema: {
          tags: ['applications'],
          summary: '四级总览：在办与超期办件 · open and overdue cases of an org and of each org below it',
          description: '市、县、乡镇管理员及督查员查看本辖区；逐级下钻到村（社区）。',
          querystring: Type.Object({ orgCode: OrgCodeParam }, { additionalProperties: false }),
          response: withErrors({ 200: OverviewSchema }, [400, 401, 403, 404]),
        },
      },
      async (request) => overview.overview(requirePrincipal(request), request.query.orgCode),
    );

    app.get(
      '/cases/helper-acts',
      {
        schema: {
          tags: ['applications'],
          summary: '帮办员为我办理的记录 · everything helpers did on my behalf',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }),
          response: withErrors({ 200: Type.Object({ items: Type.Array(HelperActSchema) }) }, [400, 401, 403]),
        },
      },
      async (request) => ({ items: await applications.listHelperActs(requirePrincipal(request), request.query) }),
    );
    return Promise.resolve();
  };
}
