import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { OrgCodeParam, withErrors } from '../../http/schemas.ts';
import { formatMessage, pickLang } from '../../core/errors.ts';
import type { ApplicationsService } from './applications.service.ts';
import {
  ActionBody,
  BatchDecideBody,
  BatchDecideResponse,
  CaseDetailSchema,
  CaseIdParams,
  CasePage,
  CaseViewSchema,
  EscalationNoticeSchema,
  LadderBody,
  LadderSchema,
  MineQuery,
  ReminderPageSchema,
  ReminderQuery,
  ReminderSeenSchema,
  QueueQuerySchema,
  ResubmitBody,
  SubmitBody,
} from './applications.schemas.ts';

export function applicationsRoutes(deps: { applications: ApplicationsService }): FastifyPluginAsyncTypebox {
  const { applications } = deps;
  return async (app) => {
    app.post(
      '/cases',
      {
        schema: {
          tags: ['applications'],
          summary: '提交申请 · submit an application',
          description:
            '带 Idempotency-Key 时，同一键与相同内容返回首次结果，内容不同则拒绝。With an Idempotency-Key, a retry returns the first result.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 128 })) }),
          body: SubmitBody,
          response: withErrors({ 200: CaseViewSchema, 201: CaseViewSchema }, [400, 401, 403, 404, 409, 422]),
        },
      },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        const result = await applications.submit(principal, request.body, request.headers['idempotency-key']);
        if (result.replayed) void reply.header('idempotent-replayed', 'true');
        return reply.status(result.replayed ? 200 : 201).send(result.case);
      },
    );

    app.get(
      '/cases/mine',
      {
        schema: {
          tags: ['applications'],
          summary: '我的办件 · my cases',
          querystring: MineQuery,
          response: withErrors({ 200: CasePage }, [400, 401, 403]),
        },
      },
      async (request) => applications.listMine(requirePrincipal(request), request.query),
    );

    app.get(
      '/cases/:id',
      {
        schema: {
          tags: ['applications'],
          summary: '办件详情与办理记录 · a case and its history',
          params: CaseIdParams,
          response: withErrors({ 200: CaseDetailSchema }, [401, 404]),
        },
      },
      async (request) => applications.getCase(requirePrincipal(request), request.params.id),
    );

    app.post(
      '/cases/:id/submit',
      {
        schema: {
          tags: ['applications'],
          summary: '提交草稿 · submit a draft (with the confirmed form, e.g. as prefilled)',
          params: CaseIdParams,
          body: Type.Optional(ResubmitBody),
          response: withErrors({ 200: CaseViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => applications.applicantAction(requirePrincipal(request), request.params.id, 'submit', request.body?.form),
    );

    app.post(
      '/cases/:id/resubmit',
      {
        schema: {
          tags: ['applications'],
          summary: '补正后重新提交 · resubmit after correction',
          params: CaseIdParams,
          body: ResubmitBody,
          response: withErrors({ 200: CaseViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => applications.applicantAction(requirePrincipal(request), request.params.id, 'resubmit', request.body.form),
    );

    app.post(
      '/cases/:id/actions',
      {
        schema: {
          tags: ['applications'],
          summary: '受理、审核、退回、通过、不予通过、办结 · act on a case',
          params: CaseIdParams,
          body: ActionBody,
          response: withErrors({ 200: CaseViewSchema }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) => applications.act(requirePrincipal(request), request.params.id, request.body.action, request.body.reason),
    );

    app.post(
      '/cases/batch-decide',
      {
        schema: {
          tags: ['applications'],
          summary: '批量审批 · approve or reject many cases at once',
          description:
            '一次最多 500 件，在一个事务中决定；每件各有结果：approved、rejected、conflict（已决定或状态不符）、not_found（无权查看）、forbidden、failed。重试同一批不会重复签发。' +
            ' Up to 500 cases, decided in one transaction, with a result per case; retrying a batch never issues twice.',
          body: BatchDecideBody,
          response: withErrors({ 200: BatchDecideResponse }, [400, 401, 403]),
        },
      },
      async (request) => {
        const lang = pickLang(request.headers['accept-language']);
        const results = await applications.decideMany(requirePrincipal(request), request.body);
        const counts = { approved: 0, rejected: 0, conflict: 0, not_found: 0, forbidden: 0, failed: 0 };
        for (const r of results) counts[r.outcome]++;
        return {
          results: results.map((r) => ({
            id: r.id,
            outcome: r.outcome,
            ...(r.state ? { state: r.state } : {}),
            ...(r.outcomeNote ? { certificateNote: r.outcomeNote } : {}),
            ...(r.error ? { error: { code: r.error.code, message: formatMessage(r.error.code, r.error.params, lang) } } : {}),
          })),
          counts,
        };
      },
    );

    app.get(
      '/sla/ladders/:orgCode',
      {
        schema: {
          tags: ['applications'],
          summary: '督办阶梯 · the escalation ladder that applies to cases at an org',
          params: Type.Object({ orgCode: OrgCodeParam }),
          response: withErrors({ 200: LadderSchema }, [400, 401, 403, 404]),
        },
      },
      async (request) => applications.getLadder(requirePrincipal(request), request.params.orgCode),
    );

    app.put(
      '/sla/ladders/:orgCode',
      {
        schema: {
          tags: ['applications'],
          summary: "设置督办阶梯 · set a jurisdiction's escalation ladder",
          description:
            '1 至 8 级，offset 为距到期日的工作日（−10 至 60，逐级增大），levelsUp 为上报层级（0 至 4，不递减）；无效配置返回 SLA_LADDER_INVALID。' +
            ' 1 to 8 steps; offset in working days from the due date (−10 to 60, increasing), levelsUp 0 to 4 (never falling); an invalid ladder gets SLA_LADDER_INVALID.',
          params: Type.Object({ orgCode: OrgCodeParam }),
          body: LadderBody,
          response: withErrors({ 200: LadderSchema }, [400, 401, 403, 404]),
        },
      },
      async (request) => applications.setLadder(requirePrincipal(request), request.params.orgCode, request.body.steps),
    );

    app.get(
      '/sla/escalations',
      {
        schema: {
          tags: ['applications'],
          summary: '督办提醒 · escalation steps addressed to an org, newest first',
          querystring: Type.Object({ orgCode: OrgCodeParam, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
          response: withErrors({ 200: Type.Object({ items: Type.Array(EscalationNoticeSchema) }) }, [400, 401, 403, 404]),
        },
      },
      async (request) => ({
        items: await applications.escalationsTo(requirePrincipal(request), request.query.orgCode, {
          ...(request.query.limit ? { limit: request.query.limit } : {}),
        }),
      }),
    );

    app.get(
      '/sla/reminders',
      {
        schema: {
          tags: ['applications'],
          summary: '我的催办提醒 · the reminders and escalations addressed to my orgs',
          description:
            '发往本人任职机构（本级，不含下级）的催办与督办，最新的在前，附未读数；居民无权访问。' +
            " Escalation steps addressed to the orgs where the caller holds a case-viewing role (that org, not below), newest first, with the caller's unseen count; staff only.",
          querystring: ReminderQuery,
          response: withErrors({ 200: ReminderPageSchema }, [400, 401, 403]),
        },
      },
      async (request) => {
        const { unseen, before, limit } = request.query;
        return applications.listReminders(requirePrincipal(request), {
          ...(unseen !== undefined ? { unseen } : {}),
          ...(before !== undefined ? { before: Number(before) } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
      },
    );

    app.post(
      '/sla/reminders/:reminderId/seen',
      {
        schema: {
          tags: ['applications'],
          summary: '标为已读 · mark a reminder seen',
          description: '只能标记发给本人机构的提醒，其他的与不存在的一样答 404。Only a step addressed to your orgs; another is a 404.',
          params: Type.Object({ reminderId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
          response: withErrors({ 200: ReminderSeenSchema }, [400, 401, 403, 404]),
        },
      },
      async (request) => applications.markReminderSeen(requirePrincipal(request), request.params.reminderId),
    );

    app.post(
      '/sla/reminders/seen',
      {
        schema: {
          tags: ['applications'],
          summary: '全部标为已读 · mark all my reminders seen',
          response: withErrors({ 200: ReminderSeenSchema }, [401, 403]),
        },
      },
      async (request) => applications.markAllRemindersSeen(requirePrincipal(request)),
    );

    app.get(
      '/queue',
      {
        schema: {
          tags: ['applications'],
          summary: '待办队列 · staff queue',
          querystring: QueueQuerySchema,
          response: withErrors({ 200: CasePage }, [400, 401, 403, 404]),
        },
      },
      async (request) => applications.queue(requirePrincipal(request), request.query),
    );
  };
}
