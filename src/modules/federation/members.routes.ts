import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { withErrors } from '../../http/schemas.ts';
import type { Principal } from '../identity/index.ts';
import type { FederationService } from './federation.service.ts';
import type { MemberView } from './members.ts';
import { MemberList, MemberParams, MemberQuery, MemberViewSchema, RejectBody } from './federation.schemas.ts';

const tags = ['federation'];

type Decision = {
  summary: string;
  body?: typeof RejectBody;
  run: (f: FederationService, actor: Principal, memberId: string, body: { reason?: string } | undefined) => Promise<MemberView>;
};

const DECISIONS: Record<'approve' | 'reject' | 'revoke', Decision> = {
  approve: {
    summary: '核准成员或其密钥变更 · approve a member’s request (its root is cross-signed) or its key change (hub)',
    run: (f, actor, memberId) => f.members.approve(actor, memberId),
  },
  reject: {
    summary:
      '驳回成员申请或其密钥变更 · reject a member’s request with a reason (kept as rejected; it may ask again) or its key change (hub)',
    body: RejectBody,
    run: (f, actor, memberId, body) => f.members.reject(actor, memberId, body?.reason),
  },
  revoke: {
    summary: '撤销成员 · revoke a member: it leaves the directory and the trust list, its messages are refused (hub)',
    run: (f, actor, memberId) => f.members.revoke(actor, memberId),
  },
};

/**
 * 成员审批: the hub's platform administrator reviews the members' requests in the console (the CLI
 * `yiban federation approve|reject|revoke` calls the same service). Member ids contain slashes: the
 * path carries them URL-encoded.
 */
export function federationMemberRoutes(deps: { federation: FederationService }): FastifyPluginAsyncTypebox {
  const { federation } = deps;
  return async (app) => {
    app.get(
      '/federation/members',
      {
        schema: {
          tags,
          summary: '联邦成员及待审批申请 · the federation’s members and the requests waiting for approval (hub; platform administrators)',
          querystring: MemberQuery,
          response: withErrors({ 200: MemberList }, [401, 403, 404]),
        },
      },
      async (request) => ({ items: await federation.members.list(requirePrincipal(request), request.query.state) }),
    );

    for (const [decision, { summary, body, run }] of Object.entries(DECISIONS)) {
      app.post(
        `/federation/members/:memberId/${decision}`,
        {
          schema: {
            tags,
            summary,
            description:
              '决定与其账本记录一并提交，各节点下次刷新目录时生效。The decision and its ledger leaf commit together; every node sees it at its next directory refresh.',
            params: MemberParams,
            ...(body ? { body } : {}),
            response: withErrors({ 200: MemberViewSchema }, [401, 403, 404, 409]),
          },
        },
        async (request) =>
          run(federation, requirePrincipal(request), request.params.memberId, request.body as { reason?: string } | undefined),
      );
    }
  };
}
