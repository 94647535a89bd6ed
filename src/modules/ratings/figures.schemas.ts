import { Type } from '@sinclair/typebox';
import { OrgCodeParam } from '../../http/schemas.ts';

const Suppressed = Type.Literal('suppressed', { description: '小于 k 的计数不公布 · a count from 1 to k − 1 is not shown' });
const Count = Type.Union([Type.Integer({ minimum: 0 }), Suppressed]);
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null(), Suppressed]);

export const FigureCellSchema = Type.Object(
  {
    ratings: Count,
    good: Count,
    goodRate: Rate,
    bad: Count,
    overturned: Count,
    rectifications: Count,
    rectified: Count,
    rectifiedOnTime: Count,
    rectifiedOnTimeRate: Rate,
    escalated: Count,
    realNameBad: Count,
    calledBack: Count,
    callbackRate: Rate,
  },
  { description: '好评率、差评、按期整改、回访率 · good-rating rate, bad ratings, rectified on time, callback rate' },
);

const PeriodFields = {
  period: Type.String({ description: 'YYYY-MM, China time' }),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  cutoff: Type.String({ format: 'date-time', description: '统计截止（月末 + 延迟） · month end + publication delay' }),
  k: Type.Integer({ description: '小于 k 的计数不公布 · counts below k are suppressed' }),
  delayDays: Type.Integer(),
};

export const PeriodParams = Type.Object({ period: Type.String({ pattern: '^\\d{4}-\\d{2}$', maxLength: 7 }) });
export const PeriodOrgParams = Type.Object({ period: PeriodParams.properties.period, code: OrgCodeParam });

export const FiguresSummarySchema = Type.Object({
  ...PeriodFields,
  size: Type.Integer({ description: '所用账本条目截至 · the ledger entries used end here' }),
  orgs: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), total: FigureCellSchema })),
});

export const OrgFiguresSchema = Type.Object({
  ...PeriodFields,
  org: Type.Object({ code: Type.String(), name: Type.String(), parentCode: Type.Union([Type.String(), Type.Null()]) }),
  total: FigureCellSchema,
  services: Type.Array(
    Type.Object({ code: Type.String(), name: Type.Object({ zh: Type.String(), en: Type.String() }), figures: FigureCellSchema }),
  ),
});
