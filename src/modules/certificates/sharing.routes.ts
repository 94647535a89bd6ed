import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors, UuidParams } from '../../http/schemas.ts';
import {
  ShareBody,
  SharedCertificateSchema,
  SharedTokenParams,
  ShareListSchema,
  ShareParams,
  ShareSchema,
  SignatureBody,
  SignatureListSchema,
  SignatureQuery,
  SignatureSchema,
} from './certificates.schemas.ts';
import type { SharingService } from './sharing-and-signatures.ts';

const IdParams = UuidParams;

export function sharingRoutes(deps: { sharing: SharingService }): FastifyPluginAsyncTypebox {
  const { sharing } = deps;
  return async (app) => {
    app.post(
      '/signatures',
      {
        schema: {
          tags: ['certificates'],
          summary: '上传手签（待备案）· upload a handwritten signature for registration',
          body: SignatureBody,
          response: withErrors({ 201: SignatureSchema }, [400, 401, 403]),
        },
      },
      async (request, reply) => reply.status(201).send(await sharing.uploadSignature(requirePrincipal(request), request.body.image)),
    );
    app.get(
      '/signatures',
      {
        schema: {
          tags: ['certificates'],
          summary: '手签备案列表 · registered signatures I may see',
          querystring: SignatureQuery,
          response: withErrors({ 200: SignatureListSchema }, [400, 401, 403]),
        },
      },
      async (request) => ({ items: await sharing.listSignatures(requirePrincipal(request), request.query) }),
    );
    app.post(
      '/signatures/:id/activate',
      {
        schema: {
          tags: ['certificates'],
          summary: '手签备案生效 · activate a registered signature',
          params: IdParams,
          response: withErrors({ 200: SignatureSchema }, [401, 404, 409]),
        },
      },
      async (request) => sharing.activateSignature(requirePrincipal(request), request.params.id),
    );
    app.post(
      '/certificates/:id/shares',
      {
        schema: {
          tags: ['certificates'],
          summary: '生成限时分享链接 · create a time-limited share link',
          params: IdParams,
          body: ShareBody,
          response: withErrors({ 201: ShareSchema }, [400, 401, 403, 404]),
        },
      },
      async (request, reply) =>
        reply.status(201).send(await sharing.createShareLink(requirePrincipal(request), request.params.id, request.body)),
    );
    app.get(
      '/certificates/:id/shares',
      {
        schema: {
          tags: ['certificates'],
          summary: '分享链接列表 · share links',
          params: IdParams,
          response: withErrors({ 200: ShareListSchema }, [401, 404]),
        },
      },
      async (request) => ({ items: await sharing.listShareLinks(requirePrincipal(request), request.params.id) }),
    );
    app.delete(
      '/certificates/:id/shares/:shareId',
      {
        schema: {
          tags: ['certificates'],
          summary: '撤销分享链接 · revoke a share link',
          params: ShareParams,
          response: withErrors({ 204: Type.Null() }, [401, 403, 404]),
        },
      },
      async (request, reply) => {
        await sharing.revokeShareLink(requirePrincipal(request), request.params.id, request.params.shareId);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/shared/:token',
      {
        schema: {
          tags: ['certificates'],
          summary: '通过分享链接查看证明 · open a share link',
          security: [],
          params: SharedTokenParams,
          response: withErrors({ 200: SharedCertificateSchema }, [404, 429]),
        },
        config: { rateLimitClass: 'verify' },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        return sharing.openShareLink(request.params.token);
      },
    );
  };
}
