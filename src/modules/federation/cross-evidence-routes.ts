import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { Nullable, withErrors } from '../../http/schemas.ts';
import type { CrossEvidence } from './cross-evidence-service.ts';

const tags = ['federation'];
const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

const Evidence = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    caseId: Type.String({ format: 'uuid' }),
    evidenceType: Type.String(),
    provider: Type.String(),
    state: Type.Union(
      ['requested', 'none', 'invalid', 'pending_preview', 'attached', 'refused', 'received', 'provided'].map((s) => Type.Literal(s)),
    ),
    digest: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    verification: Nullable(
      Type.Object({
        verdict: Type.String(),
        verifiedAt: Type.String({ format: 'date-time' }),
        checks: Type.Array(
          Type.Object({
            check: Type.String(),
            result: Type.String(),
            reason: Type.Optional(Type.String()),
            detail: Type.Optional(Type.String()),
          }),
        ),
      }),
    ),
    content: Nullable(
      Type.Object({
        identifier: Type.String(),
        typeName: Bilingual,
        issuerName: Type.String(),
        holderName: Type.String(),
        holderIdMasked: Type.String(),
        issuedAt: Type.String(),
        validUntil: Nullable(Type.String()),
        fields: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
      }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'CrossProvinceEvidence', title: 'CrossProvinceEvidence' },
);

const RequestBody = Type.Object(
  {
    caseId: Type.String({ format: 'uuid' }),
    evidenceType: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', maxLength: 64 }),
    from: Type.Optional(Type.String({ pattern: '^CN/GOV/[0-9]{6}/[a-z0-9-]{1,40}$', maxLength: 60 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const CaseParams = Type.Object({ caseId: Type.String({ format: 'uuid' }) });

/** Evidence across provinces for the resident (request, list, preview, consent, refuse) and the case's staff (attached). */
export function crossEvidenceRoutes(deps: { crossEvidence: CrossEvidence }): FastifyPluginAsyncTypebox {
  const { crossEvidence } = deps;
  return (app) => {
    app.post(
      '/federation/evidence',
      {
        schema: {
          tags,
          summary: '从外省电子证照库调取证照 · ask another province for evidence for my case',
          description:
            '带 Idempotency-Key 时，重试返回同一请求，内容不同则拒绝。With an Idempotency-Key, a retry returns the same request; other content is refused.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 128 })) }),
          body: RequestBody,
          response: withErrors({ 202: Evidence }, [400, 401, 403, 404, 422]),
        },
      },
      async (request, reply) =>
        reply.code(202).send(await crossEvidence.request(requirePrincipal(request), request.body, request.headers['idempotency-key'])),
    );

    app.get(
      '/federation/evidence/types',
      {
        schema: {
          tags,
          summary: '外省电子证照库可提供的证照类型 · evidence types other provinces provide (from the directory)',
          response: withErrors(
            {
              200: Type.Array(
                Type.Object({
                  evidenceType: Type.String(),
                  providers: Type.Array(Type.Object({ memberId: Type.String(), name: Type.String() })),
                }),
              ),
            },
            [401, 403],
          ),
        },
      },
      async (request) => crossEvidence.offeredTypes(requirePrincipal(request)),
    );

    app.get(
      '/federation/evidence/cases/:caseId',
      {
        schema: {
          tags,
          summary: '我的办件向外省调取的证照 · my evidence requests for a case',
          params: CaseParams,
          response: withErrors({ 200: Type.Array(Evidence) }, [401, 403, 404]),
        },
      },
      async (request) => crossEvidence.listForCase(requirePrincipal(request), request.params.caseId),
    );

    app.get(
      '/federation/evidence/cases/:caseId/attached',
      {
        schema: {
          tags,
          summary: '办件已附的外省证照（经本人同意）· evidence from other provinces attached to a case',
          params: CaseParams,
          response: withErrors({ 200: Type.Array(Evidence) }, [401, 404]),
        },
      },
      async (request) => crossEvidence.attachedToCase(requirePrincipal(request), request.params.caseId),
    );

    app.get(
      '/federation/evidence/:id',
      {
        schema: {
          tags,
          summary: '预览外省证照（仅本人）· preview evidence (the resident only)',
          params: IdParams,
          response: withErrors({ 200: Evidence }, [401, 403, 404]),
        },
      },
      async (request) => crossEvidence.preview(requirePrincipal(request), request.params.id),
    );

    for (const [action, verb, zh] of [
      ['consent', 'consent', '同意使用：附入办件'],
      ['refuse', 'refuse', '拒绝使用：删除'],
    ] as const) {
      app.post(
        `/federation/evidence/:id/${action}`,
        {
          schema: {
            tags,
            summary: `${zh} · ${verb} (the resident only)`,
            params: IdParams,
            response: withErrors({ 200: Evidence }, [401, 403, 404, 409]),
          },
        },
        async (request) => crossEvidence[action](requirePrincipal(request), request.params.id),
      );
    }
    return Promise.resolve();
  };
}
