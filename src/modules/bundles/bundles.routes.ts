import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { BundlesService } from './bundles.service.ts';
import {
  BundleCodeParams,
  BundleDefinitionList,
  BundleIdParams,
  BundlePreviewSchema,
  BundleProgressSchema,
  BurdenSchema,
  PrefillDraftBody,
  PrefilledDraftSchema,
  StartBundleBody,
  StartBundleHeaders,
} from './bundles.schemas.ts';

const tags = ['bundles'];

/** Life-event bundles (一件事): one form, many departments. */
export function bundlesRoutes(deps: { bundles: BundlesService }): FastifyPluginAsyncTypebox {
  const { bundles } = deps;
  return async (app) => {
    app.get(
      '/bundles/definitions',
      {
        schema: {
          tags,
          summary: '一件事清单与数据来源 · bundles, their fields and where each comes from',
          response: withErrors({ 200: BundleDefinitionList }, [401]),
        },
      },
      async (request) => {
        requirePrincipal(request);
        return bundles.listDefinitions();
      },
    );

    app.get(
      '/bundles/definitions/:code/preview',
      {
        schema: {
          tags,
          summary:
            '申请前预览：表单字段来源、将调用的数据与授权 · before starting: where each field comes from, which data each department fetches, under which grant',
          description:
            '只读取目录、路由与授权，不读取个人数据。Reads only the catalogue, the routing and the grants, never personal data: the consent preview shown before the parent starts the bundle.',
          params: BundleCodeParams,
          response: withErrors({ 200: BundlePreviewSchema }, [401, 403, 404]),
        },
      },
      async (request) => bundles.preview(requirePrincipal(request), request.params.code),
    );

    app.post(
      '/bundles',
      {
        schema: {
          tags,
          summary: '一表申请一件事 · start a bundle with one form',
          description: '带 Idempotency-Key 时，重试返回同一件事。With an Idempotency-Key, a retry returns the same bundle.',
          headers: StartBundleHeaders,
          body: StartBundleBody,
          response: withErrors({ 200: BundleProgressSchema, 201: BundleProgressSchema }, [400, 401, 403, 404, 409, 422]),
        },
      },
      async (request, reply) => {
        const result = await bundles.start(requirePrincipal(request), request.body, request.headers['idempotency-key']);
        return reply.status(result.replayed ? 200 : 201).send(result.bundle);
      },
    );

    app.get(
      '/bundles/mine',
      { schema: { tags, summary: '我的一件事 · my bundles', response: withErrors({ 200: Type.Array(BundleProgressSchema) }, [401, 403]) } },
      async (request) => bundles.listMine(requirePrincipal(request)),
    );

    app.get(
      '/bundles/:id',
      {
        schema: {
          tags,
          summary: '办理进度 · progress',
          params: BundleIdParams,
          response: withErrors({ 200: BundleProgressSchema }, [401, 404]),
        },
      },
      async (request) => bundles.getProgress(requirePrincipal(request), request.params.id),
    );

    app.get(
      '/bundles/:id/burden',
      {
        schema: {
          tags,
          summary: '减负数据 · burden figures',
          params: BundleIdParams,
          response: withErrors({ 200: BurdenSchema }, [401, 404]),
        },
      },
      async (request) => bundles.burden(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/cases/:id/prefill',
      {
        schema: {
          tags: ['applications'],
          summary: '免填单 · my draft’s form prefilled from shared data, each value with its source (I confirm and submit it)',
          params: BundleIdParams,
          body: PrefillDraftBody,
          response: withErrors({ 200: PrefilledDraftSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => bundles.prefillDraft(requirePrincipal(request), request.params.id, request.body.consent),
    );
  };
}
