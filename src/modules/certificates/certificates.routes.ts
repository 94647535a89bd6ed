import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { PageQuery, withErrors, Nullable, UuidParams } from '../../http/schemas.ts';
import { encodeQr } from '../../verify/bundle.ts';
import type { CertificatesService } from './certificates.service.ts';
import { addVerificationRoutes } from './verification.routes.ts';

const Label = Type.Object({ zh: Type.String(), en: Type.String() });

export const CertificateViewSchema = Type.Object(
  {
    id: Type.String(),
    identifier: Type.String({ description: '电子证照标识 (GB/T 36904)' }),
    type: Type.String(),
    typeName: Label,
    issuer: Type.Object({ code: Type.String(), name: Type.String() }),
    holder: Type.Object({ name: Type.String(), residentIdMasked: Type.String() }),
    issuedAt: Type.String(),
    validUntil: Nullable(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('suspended')]),
    statusReason: Nullable(Type.String()),
    fields: Type.Array(Type.Object({ name: Type.String(), labelZh: Type.String(), labelEn: Type.String(), value: Type.String() })),
    caseId: Type.String(),
    ledgerEntryId: Type.Integer({ description: 'its certificate.issued ledger entry (the index is in the bundle once sequenced)' }),
  },
  { $id: 'Certificate', title: 'Certificate' },
);

export const CertificateDocumentSchema = Type.Object({
  payload: Type.String({ description: 'RFC 8785 canonical JSON: exactly the bytes the seal signed' }),
  signature: Type.String({ description: 'base64; DER (r, s) for SM2' }),
  disclosures: Type.Array(Type.Object({ name: Type.String(), value: Type.String(), salt: Type.String() })),
});

const BundleSchema = Type.Composite([
  CertificateDocumentSchema,
  Type.Object({
    seal: Type.Optional(Type.Object({ certificate: Type.String(), chain: Type.Optional(Type.String()) })),
    ledger: Type.Optional(Type.Object({ index: Type.Integer(), proof: Type.Array(Type.String()), checkpoint: Type.String() })),
  }),
]);

/** What the QR shows by default: everything but the full ID number. */
const QR_DEFAULT_FIELDS = [
  'holderName',
  'residentIdMasked',
  'address',
  'residentSince',
  'purpose',
  'householdSize',
  'annualIncome',
  'relativeName',
  'relation',
];

function parseFields(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
}

const IdParams = UuidParams;
const FieldsQuery = Type.Object(
  {
    fields: Type.Optional(
      Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9_, ]*$', description: '只披露这些字段（逗号分隔）/ disclose only these fields' }),
    ),
  },
  { additionalProperties: false },
);

export function certificatesRoutes(deps: { certificates: CertificatesService }): FastifyPluginAsyncTypebox {
  const { certificates } = deps;
  return async (app) => {
    app.get(
      '/certificates/mine',
      {
        schema: {
          tags: ['certificates'],
          summary: '我的证明 · my certificates',
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: withErrors(
            { 200: Type.Object({ items: Type.Array(CertificateViewSchema), next: Nullable(Type.String()) }) },
            [400, 401, 403],
          ),
        },
      },
      async (request) => certificates.listMine(requirePrincipal(request), request.query),
    );

    app.get(
      '/certificates/:id',
      {
        schema: {
          tags: ['certificates'],
          summary: '证明详情 · a certificate',
          params: IdParams,
          response: withErrors({ 200: CertificateViewSchema }, [401, 404]),
        },
      },
      async (request) => certificates.get(requirePrincipal(request), request.params.id),
    );

    app.get(
      '/certificates/:id/document',
      {
        schema: {
          tags: ['certificates'],
          summary: '已签名的证明文档（可选择性披露）· the signed document, optionally with fields hidden',
          params: IdParams,
          querystring: FieldsQuery,
          response: withErrors({ 200: CertificateDocumentSchema }, [400, 401, 404]),
        },
      },
      async (request) => certificates.document(requirePrincipal(request), request.params.id, parseFields(request.query.fields)),
    );

    app.get(
      '/certificates/:id/bundle',
      {
        schema: {
          tags: ['certificates'],
          summary: '可独立核验的证明包（含印章证书链与存证证明）· a self-verifying bundle',
          params: IdParams,
          querystring: FieldsQuery,
          response: withErrors({ 200: BundleSchema }, [400, 401, 404]),
        },
      },
      async (request) => certificates.bundle(requirePrincipal(request), request.params.id, parseFields(request.query.fields)),
    );

    app.get(
      '/certificates/:id/pdf',
      {
        schema: {
          tags: ['certificates'],
          summary: '带电子印章与数字签名的 PDF · the signed PDF',
          params: IdParams,
          querystring: FieldsQuery,
          produces: ['application/pdf'],
          response: withErrors({ 200: Type.Unknown({ description: 'application/pdf' }) }, [400, 401, 404]),
        },
      },
      async (request, reply) => {
        const { identifier, bytes } = await certificates.pdf(
          requirePrincipal(request),
          request.params.id,
          parseFields(request.query.fields),
        );
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="${identifier}.pdf"`)
          .header('cache-control', 'private, max-age=60')
          .send(Buffer.from(bytes));
      },
    );

    app.get(
      '/certificates/:id/qr',
      {
        schema: {
          tags: ['certificates'],
          summary: '二维码内容（离线核验）· the QR payload for offline verification',
          params: IdParams,
          querystring: FieldsQuery,
          response: withErrors({ 200: Type.Object({ qr: Type.String(), length: Type.Integer() }) }, [400, 401, 404]),
        },
      },
      async (request) => {
        const bundle = await certificates.bundle(
          requirePrincipal(request),
          request.params.id,
          parseFields(request.query.fields) ?? QR_DEFAULT_FIELDS,
        );
        const qr = await encodeQr(bundle);
        return { qr, length: qr.length };
      },
    );

    app.get(
      '/cases/:id/certificate',
      {
        schema: {
          tags: ['certificates'],
          summary: '办件的证明 · the certificate of a case',
          params: IdParams,
          response: withErrors({ 200: CertificateViewSchema }, [401, 404]),
        },
      },
      async (request) => certificates.getByCase(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/certificates/:id/status',
      {
        schema: {
          tags: ['certificates'],
          summary: '撤销、挂起或恢复证明 · revoke, suspend or reinstate',
          params: IdParams,
          body: Type.Object(
            {
              status: Type.Union([Type.Literal('revoked'), Type.Literal('suspended'), Type.Literal('active')]),
              reason: Type.String({ minLength: 1, maxLength: 500 }),
            },
            { additionalProperties: false },
          ),
          response: withErrors({ 200: CertificateViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => certificates.changeStatus(requirePrincipal(request), request.params.id, request.body.status, request.body.reason),
    );

    addVerificationRoutes(app, certificates);
  };
}
