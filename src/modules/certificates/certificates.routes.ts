import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors, UuidParams } from '../../http/schemas.ts';
import { encodeQr } from '../../verify/bundle.ts';
import {
  CertificateBundleSchema,
  CertificateDocumentSchema,
  CertificatePageSchema,
  CertificateQrSchema,
  CertificateViewSchema,
  FieldsQuery,
  MineQuery,
  StatusChangeBody,
} from './certificates.schemas.ts';
import type { CertificatesService } from './certificates.service.ts';
import { addVerificationRoutes } from './verification.routes.ts';

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

export function certificatesRoutes(deps: { certificates: CertificatesService }): FastifyPluginAsyncTypebox {
  const { certificates } = deps;
  return async (app) => {
    app.get(
      '/certificates/mine',
      {
        schema: {
          tags: ['certificates'],
          summary: '我的证明 · my certificates',
          querystring: MineQuery,
          response: withErrors({ 200: CertificatePageSchema }, [400, 401, 403]),
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
          response: withErrors({ 200: CertificateBundleSchema }, [400, 401, 404]),
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
          response: withErrors({ 200: CertificateQrSchema }, [400, 401, 404]),
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
          body: StatusChangeBody,
          response: withErrors({ 200: CertificateViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => certificates.changeStatus(requirePrincipal(request), request.params.id, request.body.status, request.body.reason),
    );

    addVerificationRoutes(app, certificates);
  };
}
