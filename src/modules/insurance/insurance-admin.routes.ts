import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { PolicyAdmin } from './policy-admin.ts';
import { ClearingSchema, ClearingsQuery, DryRunBody, DryRunSchema, PolicyProposalSchema, PublishedSchema } from './policy-admin.schemas.ts';

const tags = ['insurance'];

/** The insurance office's console: publishing a policy version, its dry run, the month's clearing. */
export function insuranceAdminRoutes(deps: { policyAdmin: PolicyAdmin }): FastifyPluginAsyncTypebox {
  const { policyAdmin } = deps;
  return async (app) => {
    app.post(
      '/insurance/policies',
      {
        schema: {
          tags,
          summary: '发布政策版本 · publish a new dated version of a region’s policy (the previous one closes the day before)',
          body: PolicyProposalSchema,
          response: withErrors({ 201: PublishedSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request, reply) => reply.code(201).send(await policyAdmin.publish(requirePrincipal(request), request.body)),
    );

    app.post(
      '/insurance/policies/dry-run',
      {
        schema: {
          tags,
          summary: '政策试算 · a proposed version applied to last month’s settlements of the region; nothing is written',
          body: DryRunBody,
          response: withErrors({ 200: DryRunSchema }, [400, 401, 403, 404]),
        },
      },
      async (request) => policyAdmin.dryRun(requirePrincipal(request), request.body),
    );

    app.get(
      '/insurance/clearings',
      {
        schema: {
          tags,
          summary: '清算 · the month’s clearing between places of treatment and of insurance, for my regions',
          querystring: ClearingsQuery,
          response: withErrors({ 200: Type.Array(ClearingSchema) }, [400, 401, 403]),
        },
      },
      async (request) => policyAdmin.clearings(requirePrincipal(request), request.query),
    );
  };
}
