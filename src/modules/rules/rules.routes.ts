import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { RulesService } from './rules.service.ts';
import {
  ActivateRuleBody,
  DryRunSchema,
  ProposeRuleBody,
  RuleParams,
  RuleSchema,
  RuleVersionParams,
  RuleVersionSchema,
} from './rules.schemas.ts';

const tags = ['rules'];

/** Rules as data: the console's list, a rule's versions, a new version, switching one on, and the dry run. */
export function rulesRoutes(deps: { rules: RulesService }): FastifyPluginAsyncTypebox {
  const { rules } = deps;
  return async (app) => {
    app.get(
      '/rules',
      {
        schema: {
          tags,
          summary: '规则 · the rules of my orgs, newest version of each',
          response: withErrors({ 200: Type.Array(RuleVersionSchema) }, [401]),
        },
      },
      async (request) => rules.listRules(requirePrincipal(request)),
    );

    app.get(
      '/rules/:code',
      {
        schema: {
          tags,
          summary: '规则的各版本 · a rule and every version',
          params: RuleParams,
          response: withErrors({ 200: RuleSchema }, [400, 401, 404]),
        },
      },
      async (request) => rules.getRule(requirePrincipal(request), request.params.code),
    );

    app.post(
      '/rules/:code/versions',
      {
        schema: {
          tags,
          summary: '提出新版本 · propose a version (a draft: parsed, type-checked, its data grants and legal basis checked)',
          params: RuleParams,
          body: ProposeRuleBody,
          response: withErrors({ 201: RuleVersionSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request, reply) => reply.status(201).send(await rules.propose(requirePrincipal(request), request.params.code, request.body)),
    );

    app.post(
      '/rules/:code/versions/:version/activate',
      {
        schema: {
          tags,
          summary: '启用版本 · switch a draft on (another officer than its author; retires the version in force)',
          params: RuleVersionParams,
          body: ActivateRuleBody,
          response: withErrors({ 200: RuleVersionSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => rules.activate(requirePrincipal(request), request.params.code, request.params.version, request.body.reason),
    );

    app.post(
      '/rules/:code/versions/:version/dry-run',
      {
        schema: {
          tags,
          summary: '试运行 · who the version would grant today, and who it adds or removes against the version in force',
          params: RuleVersionParams,
          response: withErrors({ 200: DryRunSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => rules.dryRun(requirePrincipal(request), request.params.code, request.params.version),
    );
  };
}
