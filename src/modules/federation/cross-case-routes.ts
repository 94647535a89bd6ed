import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { Nullable, withErrors } from '../../http/schemas.ts';
import type { CrossCases } from './cross-case-service.ts';

const tags = ['federation'];

const CertificateSummary = Type.Object({
  identifier: Type.String(),
  type: Type.String(),
  issuerName: Type.String(),
  issuedAt: Type.String(),
});

const CrossCase = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    side: Type.Union([Type.Literal('sender'), Type.Literal('receiver')]),
    channel: Type.Union([Type.Literal('window'), Type.Literal('online')], { description: 'window: 异地代收代办; online: 全程网办' }),
    peer: Type.String(),
    serviceCode: Type.String(),
    applicantMasked: Type.String(),
    state: Type.String(),
    caseId: Nullable(Type.String({ format: 'uuid' })),
    decision: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    certificateId: Nullable(Type.String()),
    certificate: Nullable(CertificateSummary),
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
    orgCode: Type.Optional(Type.String({ pattern: '^[0-9]{6,12}$', maxLength: 12, description: '办理地村（社区）代码' })),
    applicantName: Type.Optional(Type.String({ maxLength: 50, description: '申请人姓名：办理地尚无此人时据此登记' })),
    materials: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ maxLength: 100 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }), {
        maxItems: 50,
      }),
    ),
  },
  { additionalProperties: false },
);

const MemberId = Type.String({ maxLength: 100, pattern: '^CN/GOV/[0-9]{6}/[a-z][a-z0-9-]{0,31}$' });

const ApplyOnline = Type.Object(
  {
    to: MemberId,
    serviceCode: Type.String({ maxLength: 100 }),
    form: Type.Record(Type.String(), Type.Unknown()),
    orgCode: Type.Optional(Type.String({ pattern: '^[0-9]{6,12}$', maxLength: 12, description: '办理地村（社区）代码' })),
  },
  { additionalProperties: false },
);

const ForeignCertificate = Type.Object({
  crossCaseId: Type.String({ format: 'uuid' }),
  peer: Type.String(),
  serviceCode: Type.String(),
  ...CertificateSummary.properties,
  bundle: Type.Record(Type.String(), Type.Unknown(), { description: 'The sealed certificate (CertificateBundle, without a ledger proof)' }),
});

const Offer = Type.Object({
  memberId: Type.String(),
  name: Type.String(),
  services: Type.Array(Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String() })),
});

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
          headers: Type.Object({
            'idempotency-key': Type.Optional(Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
          }),
          body: HandOver,
          response: withErrors({ 201: CrossCase }, [400, 401, 403, 404, 422]),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await crossCases.handOver(requirePrincipal(request), request.body, request.headers['idempotency-key'])),
    );

    app.post(
      '/federation/applications',
      {
        schema: {
          tags,
          summary: '全程网办：在本省申请他省办理的事项 · apply online at home for a service another province handles (a resident)',
          description: '需带 Idempotency-Key；重试返回首次结果。An Idempotency-Key is required; a retry returns the first application.',
          headers: Type.Object({ 'idempotency-key': Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) }),
          body: ApplyOnline,
          response: withErrors({ 201: CrossCase }, [400, 401, 403, 404, 422]),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await crossCases.applyOnline(requirePrincipal(request), request.body, request.headers['idempotency-key'])),
    );

    app.get(
      '/federation/cases',
      {
        schema: {
          tags,
          summary: "我的跨省办件 / 已代收的办件 · the resident's cross-province cases, or the window's hand-overs (newest 100)",
          response: withErrors({ 200: Type.Array(CrossCase) }, [401, 403]),
        },
      },
      async (request) => crossCases.list(requirePrincipal(request)),
    );

    app.get(
      '/federation/certificates',
      {
        schema: {
          tags,
          summary: '他省签发给我的证照 · certificates other provinces issued to the resident (verifiable with the national trust list)',
          response: withErrors({ 200: Type.Array(ForeignCertificate) }, [401, 403]),
        },
      },
      async (request) => crossCases.foreignCertificates(requirePrincipal(request)),
    );

    app.get(
      '/federation/offers',
      {
        schema: {
          tags,
          summary: '可全程网办的他省事项 · the other provinces and the services their directory entries list',
          response: withErrors({ 200: Type.Array(Offer) }, [401, 403]),
        },
      },
      async (request) => crossCases.offers(requirePrincipal(request)),
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
