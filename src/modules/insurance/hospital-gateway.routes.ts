import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, formatMessage } from '../../core/errors.ts';
import { withErrors } from '../../http/schemas.ts';
import { canonicalJson } from '../../verify/document.ts';
import { SignatureError, signResponse, sm2VerifyingKey, verifyRequest, type Sm2VerifyingKey } from '../sharing/index.ts';
import { envelopeProblem, type Answer, type Envelope } from './envelope.ts';
import type { InsuranceService } from './insurance.service.ts';

/** How far a request's `created` may be from now (and `expires` from `created`). */
const WINDOW_SECONDS = 300;
const PATH = '/insurance/hsa/v1/transactions';

/**
 * The hospital interface (定点医药机构接口): `POST /api/insurance/hsa/v1/transactions`, one
 * envelope per request, signed by the institution's SM2 key under RFC 9421 (alg sm2-sm3), the
 * answer signed by the platform's interface key. The body is read as text: the signature covers
 * its digest. A failure is an answer too (`infcode` -1 with a stable `err_code`), signed, with the
 * HTTP status of the error.
 */
export function hospitalGatewayRoutes(deps: { insurance: InsuranceService }): FastifyPluginAsyncTypebox {
  const { insurance } = deps;
  const keys = new Map<string, Sm2VerifyingKey>();
  const keyOf = (publicKey: Uint8Array) => {
    const id = Buffer.from(publicKey).toString('hex');
    let key = keys.get(id);
    if (!key) keys.set(id, (key = sm2VerifyingKey(publicKey)));
    return key;
  };

  return async (app) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

    app.get(
      '/insurance/hsa/v1/interface-key',
      {
        schema: {
          tags: ['insurance'],
          summary: '医保接口公钥 · the platform key that signs the hospital interface’s answers (SM2, chained to the platform root)',
          security: [],
          response: withErrors(
            {
              200: Type.Object({
                keyId: Type.String(),
                alg: Type.Literal('sm2-sm3'),
                publicKeySpki: Type.String(),
                certificatePem: Type.String(),
                chainPem: Type.String(),
              }),
            },
            [],
          ),
        },
      },
      async () => {
        const k = await insurance.interfaceKey();
        return {
          keyId: k.keyId,
          alg: 'sm2-sm3' as const,
          publicKeySpki: Buffer.from(k.publicKeySpki).toString('base64'),
          certificatePem: k.certificatePem,
          chainPem: k.chainPem,
        };
      },
    );

    app.post(
      PATH,
      {
        schema: {
          tags: ['insurance'],
          summary: '医保交易 · one hospital-interface transaction (1101 2001 2301 2303 2304 2305 2601 3201), SM2-signed (RFC 9421)',
          security: [],
          body: Type.String({
            description: 'the JSON envelope: infno, msgid, mdtrtarea_admvs, insuplc_admdvs, fixmedins_code, inf_time, input',
          }),
        },
      },
      async (request, reply) => {
        const body = request.body;
        const url = `${request.protocol}://${request.host}${request.url}`;
        const headers = Object.fromEntries(Object.entries(request.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
        let status = 200;
        let answer: Answer;
        try {
          // The institution is found by the key id its signature names (checked again by verifyRequest).
          const keyId = /keyid="([^"\\]{1,200})"/.exec(headers['signature-input'] ?? '')?.[1];
          const institution = keyId ? await insurance.reference.institutionByKey(keyId) : null;
          const key = institution?.status === 'active' ? keyOf(institution.publicKey) : null;
          try {
            await verifyRequest(
              { method: 'POST', url, headers, body },
              { windowSeconds: WINDOW_SECONDS, keyFor: (id) => (id === keyId ? key : null) },
            );
          } catch (error) {
            throw new AppError('HOSPITAL_SIGNATURE_INVALID', {
              reason: error instanceof SignatureError ? error.reason : 'SIGNATURE_MALFORMED',
            });
          }
          if (!institution) throw new AppError('HOSPITAL_SIGNATURE_INVALID', { reason: 'UNKNOWN_KEY' });
          let envelope: unknown;
          try {
            envelope = JSON.parse(body);
          } catch {
            throw new AppError('MALFORMED_JSON');
          }
          const problem = envelopeProblem(envelope);
          if (problem) throw new AppError('INSURANCE_BAD_ENVELOPE', { detail: problem });
          const e = envelope as Envelope;
          // What makes two messages the same request: not inf_time (a resend is sent again later).
          const same = canonicalJson({
            infno: e.infno,
            mdtrtarea_admvs: e.mdtrtarea_admvs,
            insuplc_admdvs: e.insuplc_admdvs,
            fixmedins_code: e.fixmedins_code,
            input: e.input,
          });
          answer = await insurance.handleTransaction(institution, e, createHash('sha256').update(same).digest('hex'));
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          status = error.status;
          answer = {
            infcode: -1,
            inf_refmsgid: '',
            respond_time: new Date().toISOString(),
            err_code: error.code,
            err_msg: formatMessage(error.code, error.params, 'zh-CN'),
            err_msg_en: formatMessage(error.code, error.params, 'en'),
          };
        }
        const text = JSON.stringify(answer);
        const signer = await insurance.interfaceKey();
        let signed: Record<string, string>;
        try {
          signed = await signResponse(
            { keyId: signer.keyId, alg: 'sm2-sm3', sign: (m) => signer.sign(m) },
            { url, headers },
            { status, body: text },
          );
        } catch {
          // The answer covers the request's signature; a request with none (or an unreadable one)
          // gets its refusal unsigned: there is nothing to bind it to, and nothing was done.
          return reply.code(status).type('application/json').send(Buffer.from(text, 'utf8'));
        }
        // A Buffer, so that the content type goes out exactly as signed (no charset added).
        return reply.code(status).headers(signed).send(Buffer.from(text, 'utf8'));
      },
    );
  };
}
