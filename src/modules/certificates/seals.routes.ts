import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { OrgCodeParam, withErrors } from '../../http/schemas.ts';
import { OrgSealSchema } from './certificates.schemas.ts';
import type { SealsService } from './seals.ts';

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
