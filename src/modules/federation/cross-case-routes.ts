import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { Nullable, withErrors } from '../../http/schemas.ts';
import type { CrossCases } from './cross-case-service.ts';

const tags = ['federation'];

const CrossCase = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    side: Type.Union([Type.Literal('sender'), Type.Literal('receiver')]),
    peer: Type.String(),
    serviceCode: Type.String(),
    applicantMasked: Type.String(),
    state: Type.String(),
    caseId: Nullable(Type.String({ format: 'uuid' })),
    decision: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    certificateId: Nullable(Type.String()),
    handoverMessageId: Type.String({ format: 'uuid' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'CrossProvinceCase', title: 'CrossProvinceCase' },
);

const HandOver = Type.Object(
  {
    to: Type.String({ maxLength: 100 }),
    serviceCode: Type.String({ maxLength: 100 }),
    form: Type.Record(Type.String(), Type.Unknown()),
    residentId: Type.String({ minLength: 15, maxLength: 18 }),
    materials: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ maxLength: 100 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }), {
        maxItems: 50,
      }),
    ),
  },
  { additionalProperties: false },
);

/** 异地代收代办 for people (sessions): a window clerk hands a case over; the clerk and the applicant follow it. */
export function crossCaseRoutes(deps: { crossCases: CrossCases }): FastifyPluginAsyncTypebox {
  const { crossCases } = deps;
  return (app) => {
    app.post(
      '/federation/cases',
      {
        schema: {
          tags,
          summary: '异地代收代办：窗口受理他省事项 · hand a case over to another province (a window clerk)',
          body: HandOver,
          response: withErrors({ 201: CrossCase }, [400, 401, 403, 404, 422]),
        },
      },
      async (request, reply) => reply.code(201).send(await crossCases.handOver(requirePrincipal(request), request.body)),
    );

    app.get(
      '/federation/cases/:id',
      {
        schema: {
          tags,
          summary: '跨省办件在本节点的状态 · a cross-province case as this node knows it',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: withErrors({ 200: CrossCase }, [401, 404]),
        },
      },
      async (request) => crossCases.get(requirePrincipal(request), request.params.id),
    );
    return Promise.resolve();
  };
}
