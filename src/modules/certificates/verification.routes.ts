import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../core/errors.ts';
import { withErrors } from '../../http/schemas.ts';
import { decodeQr, parseBundleJson } from '../../verify/bundle.ts';
import { REASON_TEXT } from '../../verify/verify-certificate.ts';
import {
  StatusListCredentialSchema,
  StatusListIndexSchema,
  StatusListParams,
  TrustAnchorsSchema,
  VerificationResultSchema,
  VerifyBody,
} from './verification.schemas.ts';
import type { CertificatesService } from './certificates.service.ts';

/** Verification and its evidence, public: trust anchors, verifying a bundle, the status lists. */
export function addVerificationRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0], certificates: CertificatesService): void {
  app.get(
    '/trust',
    {
      schema: {
        tags: ['verify'],
        summary: '核验方需固定的信任锚 · the trust anchors a verifier pins',
        security: [],
        response: withErrors({ 200: TrustAnchorsSchema }, [400]),
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=3600');
      return certificates.trustAnchors();
    },
  );

  app.post(
    '/verify',
    {
      schema: {
        tags: ['verify'],
        summary: '核验证明 · verify a certificate (QR text or bundle JSON)',
        security: [],
        body: VerifyBody,
        response: withErrors({ 200: VerificationResultSchema }, [400, 429]),
      },
      config: { rateLimitClass: 'verify' },
    },
    async (request) => {
      const { qr, bundle } = request.body;
      const parsed = qr !== undefined ? await decodeQr(qr) : bundle !== undefined ? parseBundleJson(JSON.stringify(bundle)) : null;
      if (!parsed) {
        return {
          verdict: 'INVALID' as const,
          checks: [{ check: 'format', result: 'fail', reason: 'MALFORMED', message: REASON_TEXT.MALFORMED }],
        };
      }
      const result = await certificates.verify(parsed);
      return { ...result, checks: result.checks.map((c) => ({ ...c, ...(c.reason ? { message: REASON_TEXT[c.reason] } : {}) })) };
    },
  );

  app.get(
    '/status-lists',
    {
      schema: {
        tags: ['verify'],
        summary: '现有的证明状态列表 · the status lists that exist',
        security: [],
        response: withErrors({ 200: StatusListIndexSchema }, [400]),
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=60');
      return { lists: await certificates.statusListIndex() };
    },
  );

  app.get(
    '/status-lists/:list/:purpose',
    {
      schema: {
        tags: ['verify'],
        summary: '证明状态列表（W3C Bitstring Status List，平台签名）· signed status list credential',
        security: [],
        params: StatusListParams,
        response: withErrors({ 200: StatusListCredentialSchema }, [400, 404]),
      },
    },
    async (request, reply) => {
      const { list, purpose } = request.params;
      const credential = await certificates.statusListCredential(list, purpose);
      if (!credential) throw new AppError('NOT_FOUND', { what: 'statusList' });
      void reply.header('cache-control', 'public, max-age=60, stale-while-revalidate=300');
      return credential;
    },
  );
}
