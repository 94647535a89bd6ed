import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { OrgCodeParam, withErrors } from '../../http/schemas.ts';
import type { SealsService } from './seals.ts';

const SealKeySchema = Type.Object(
  {
    keyId: Type.String(),
    algorithm: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
    notBefore: Type.String(),
    notAfter: Type.String(),
    subject: Type.String(),
    issuer: Type.String(),
    serial: Type.String(),
    fingerprint: Type.String(),
    certificatePem: Type.String(),
  },
  { $id: 'SealKey', title: 'SealKey' },
);
const OrgSealSchema = Type.Object(
  {
    orgCode: Type.String(),
    orgName: Type.String(),
    image: Type.String({ description: 'data:image/svg+xml;base64,…' }),
    keys: Type.Array(SealKeySchema),
  },
  { $id: 'OrgSeal', title: 'OrgSeal' },
);

export function sealsRoutes(deps: { seals: SealsService }): FastifyPluginAsyncTypebox {
  const { seals } = deps;
  return (app) => {
    app.get(
      '/orgs/:code/seal',
      {
        schema: {
          tags: ['certificates'],
          summary: '本单位电子印章（印模、密钥、证书有效期）· an org’s electronic seal',
          description: '本单位工作人员及上级管理员、督查员可见；其他人得到 404。',
          params: Type.Object({ code: OrgCodeParam }),
          response: withErrors({ 200: OrgSealSchema }, [401, 404]),
        },
      },
      async (request) => seals.orgSeal(requirePrincipal(request), request.params.code),
    );
    return Promise.resolve();
  };
}
