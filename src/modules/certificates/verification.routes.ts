import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../core/errors.ts';
import { withErrors } from '../../http/schemas.ts';
import { decodeQr, parseBundleJson } from '../../verify/bundle.ts';
import { REASON_TEXT } from '../../verify/verify-certificate.ts';
import type { CertificatesService } from './certificates.service.ts';

const Label = Type.Object({ zh: Type.String(), en: Type.String() });

const StatusListCredentialSchema = Type.Object({
  '@context': Type.Array(Type.String()),
  id: Type.String(),
  type: Type.Array(Type.String()),
  issuer: Type.String(),
  validFrom: Type.String(),
  validUntil: Type.String(),
  credentialSubject: Type.Object({
    id: Type.String(),
    type: Type.Literal('BitstringStatusList'),
    statusPurpose: Type.Union([Type.Literal('revocation'), Type.Literal('suspension')]),
    encodedList: Type.String(),
  }),
  proof: Type.Object({
    type: Type.Literal('DataIntegrityProof'),
    cryptosuite: Type.String(),
    created: Type.String(),
    verificationMethod: Type.String(),
    proofPurpose: Type.Literal('assertionMethod'),
    proofValue: Type.String(),
  }),
});

const TrustSchema = Type.Object({
  version: Type.Literal(1),
  roots: Type.Array(Type.String()),
  seals: Type.Optional(Type.Record(Type.String(), Type.Object({ certificate: Type.String(), chain: Type.Optional(Type.String()) }))),
  ledger: Type.Optional(
    Type.Object({
      vkey: Type.String(),
      witnesses: Type.Optional(Type.Object({ vkeys: Type.Array(Type.String()), threshold: Type.Integer() })),
    }),
  ),
  statusSigners: Type.Optional(
    Type.Record(Type.String(), Type.Object({ certificate: Type.String(), chain: Type.Optional(Type.String()) }), {
      description: '签署状态列表的密钥 · keys that sign status lists',
    }),
  ),
});

/** Verification and its evidence, public: trust anchors, verifying a bundle, the status lists. */
export function addVerificationRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0], certificates: CertificatesService): void {
  app.get(
    '/trust',
    {
      schema: {
        tags: ['verify'],
        summary: '核验方需固定的信任锚 · the trust anchors a verifier pins',
        security: [],
        response: withErrors({ 200: TrustSchema }, [400]),
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
        body: Type.Object(
          { qr: Type.Optional(Type.String({ maxLength: 8000 })), bundle: Type.Optional(Type.Unknown()) },
          { additionalProperties: false },
        ),
        response: withErrors(
          {
            200: Type.Object({
              verdict: Type.Union([Type.Literal('VALID'), Type.Literal('INVALID'), Type.Literal('INDETERMINATE')]),
              checks: Type.Array(
                Type.Object({
                  check: Type.String(),
                  result: Type.String(),
                  reason: Type.Optional(Type.String()),
                  detail: Type.Optional(Type.String()),
                  message: Type.Optional(Label),
                }),
              ),
              certificate: Type.Optional(Type.Unknown()),
            }),
          },
          [400, 429],
        ),
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
        response: withErrors(
          {
            200: Type.Object({
              lists: Type.Array(Type.Object({ id: Type.String(), revocation: Type.String(), suspension: Type.String() })),
            }),
          },
          [400],
        ),
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
        params: Type.Object({
          list: Type.String({ pattern: '^[0-9]{1,9}$' }),
          purpose: Type.Union([Type.Literal('revocation'), Type.Literal('suspension')]),
        }),
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
