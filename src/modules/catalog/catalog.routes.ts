import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../core/errors.ts';
import { CODE_PATTERN, CodeParam, IsoDate, withErrors } from '../../http/schemas.ts';
import type { CatalogService } from './catalog.service.ts';
import { addWorkingDays, isProvisionalDate, isWorkingDay } from './working-days.ts';
import { message } from '../../core/messages.ts';

const Bilingual = { nameZh: Type.String(), nameEn: Type.String() };

const ServiceItemDto = Type.Object(
  {
    code: Type.String(),
    ...Bilingual,
    category: Type.String(),
    handlerLevel: Type.String(),
    departmentKind: Type.Union([Type.String(), Type.Null()]),
    materials: Type.Array(Type.Object({ code: Type.String(), ...Bilingual, required: Type.Boolean(), proofFree: Type.Boolean() })),
    formFields: Type.Array(
      Type.Object({
        name: Type.String(),
        labelZh: Type.String(),
        labelEn: Type.String(),
        type: Type.String(),
        required: Type.Boolean(),
        maxLength: Type.Optional(Type.Integer()),
        options: Type.Optional(Type.Array(Type.Object({ value: Type.String(), labelZh: Type.String(), labelEn: Type.String() }))),
      }),
    ),
    timeLimitDays: Type.Integer({ description: '承诺时限（工作日）' }),
    channels: Type.Array(Type.String()),
    feeCents: Type.Integer(),
    online: Type.Boolean(),
    certificateType: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, $id: 'ServiceItem', title: 'ServiceItem' },
);

export function catalogRoutes(deps: { catalog: CatalogService }): FastifyPluginAsyncTypebox {
  const { catalog } = deps;
  return async (app) => {
    app.get(
      '/services',
      {
        schema: {
          tags: ['catalog'],
          summary: '事项清单 · list service items',
          security: [],
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 50 })),
              category: Type.Optional(Type.String({ maxLength: 40, pattern: CODE_PATTERN })),
            },
            { additionalProperties: false },
          ),
          response: withErrors({ 200: Type.Object({ items: Type.Array(ServiceItemDto) }) }, [400]),
        },
      },
      async (request) => ({ items: await catalog.listItems(request.query) }),
    );

    app.get(
      '/services/:code',
      {
        schema: {
          tags: ['catalog'],
          summary: '事项详情 · one service item',
          security: [],
          params: Type.Object({ code: CodeParam }),
          response: withErrors({ 200: ServiceItemDto }, [404]),
        },
      },
      async (request) => catalog.requireItem(request.params.code),
    );

    app.get(
      '/calendar/due-date',
      {
        schema: {
          tags: ['catalog'],
          summary: '按工作日计算期限 · due date in working days',
          security: [],
          querystring: Type.Object({ from: IsoDate, days: Type.Integer({ minimum: 0, maximum: 365 }) }, { additionalProperties: false }),
          response: withErrors(
            { 200: Type.Object({ from: Type.String(), days: Type.Integer(), dueDate: Type.String(), provisional: Type.Boolean() }) },
            [400],
          ),
        },
      },
      async (request) => {
        const { from, days } = request.query;
        try {
          return { from, days, ...addWorkingDays(from, days) };
        } catch {
          throw new AppError('VALIDATION_FAILED', { detail: message('catalog.invalidDate') });
        }
      },
    );

    app.get(
      '/calendar/days/:date',
      {
        schema: {
          tags: ['catalog'],
          summary: '某日是否为工作日 · is a date a working day',
          security: [],
          params: Type.Object({ date: IsoDate }),
          response: withErrors(
            { 200: Type.Object({ date: Type.String(), workingDay: Type.Boolean(), provisional: Type.Boolean() }) },
            [400],
          ),
        },
      },
      async (request) => {
        const { date } = request.params;
        try {
          return { date, workingDay: isWorkingDay(date), provisional: isProvisionalDate(date) };
        } catch {
          throw new AppError('VALIDATION_FAILED', { detail: message('catalog.invalidDate') });
        }
      },
    );
  };
}
