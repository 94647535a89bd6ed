import { type Static, Type } from '@sinclair/typebox';
import { Nullable, OrgCodeParam } from '../../http/schemas.ts';

const Rate = Nullable(Type.Number({ minimum: 0 }));
const Count = Type.Integer({ minimum: 0 });

/** The figures of an org (or a child, or a service) over the period; a rate is null when there is nothing to divide by. */
const FiguresSchema = Type.Object(
  {
    submitted: Count,
    submittedOnline: Count,
    decided: Count,
    onTime: Count,
    /** 按时办结率 */
    onTimeRate: Rate,
    firstTime: Count,
    /** 一次办结率 */
    firstTimeRate: Rate,
    fullyOnline: Count,
    /** 全程网办率 (of the decided cases) */
    fullyOnlineRate: Rate,
    /** 到现场次数 */
    counterTrips: Count,
    tripsPerCase: Rate,
    averageWorkingDays: Rate,
    /** 即办 / 秒批 */
    instant: Count,
    instantRate: Rate,
    certificates: Count,
    /** 数据共享: exchanges completed for the org's subtree as the consumer (data used instead of a paper proof)… */
    exchanges: Count,
    /** … and as the provider. */
    exchangesProvided: Count,
  },
  { title: 'DashboardFigures' },
);
export type Figures = Static<typeof FiguresSchema>;

const RatingsSummarySchema = Type.Object(
  {
    ratings: Count,
    good: Count,
    /** 好评率 */
    goodRate: Rate,
    bad: Count,
    rectified: Count,
    /** 差评整改率 */
    rectificationRate: Rate,
    rectifiedOnTime: Count,
    rectificationsOpen: Count,
    realNameBad: Count,
    calledBack: Count,
    /** 回访率 */
    callbackRate: Rate,
  },
  { title: 'DashboardRatings' },
);
export type RatingsSummary = Static<typeof RatingsSummarySchema>;

const OrgRef = Type.Object({ code: Type.String(), name: Type.String(), level: Type.String() });

export const DashboardViewSchema = Type.Object(
  {
    org: OrgRef,
    trail: Type.Array(OrgRef),
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    /** 网上可办率: the share of the catalogue's service items that can be done fully online. */
    online: Type.Object({ items: Count, online: Count, rate: Type.Number({ minimum: 0, maximum: 1 }) }),
    figures: FiguresSchema,
    /** 好差评 of the org's subtree for the ratings given in the period (null when the caller may not see ratings). */
    ratings: Nullable(RatingsSummarySchema),
    children: Type.Array(
      Type.Object({ code: Type.String(), name: Type.String(), level: Type.String(), leaf: Type.Boolean(), figures: FiguresSchema }),
    ),
    services: Type.Array(
      Type.Object({
        code: Type.String(),
        nameZh: Type.String(),
        nameEn: Type.String(),
        /** Whether the item can be done fully online (网上可办). */
        fullyOnlineItem: Type.Boolean(),
        /** 承诺时限 and 法定时限, working days. */
        promisedDays: Nullable(Type.Integer()),
        legalDays: Nullable(Type.Integer()),
        figures: FiguresSchema,
      }),
    ),
    trend: Type.Array(Type.Object({ day: Type.String({ format: 'date' }), submitted: Count, decided: Count, onTime: Count })),
    /** Into the case queue of the org (its overdue cases). */
    queue: Type.Object({ orgCode: Type.String(), link: Type.String() }),
  },
  { $id: 'DashboardView', title: 'DashboardView' },
);
export type DashboardView = Static<typeof DashboardViewSchema>;

export const DashboardParams = Type.Object({ orgCode: OrgCodeParam });
export const PeriodQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date', description: '起始日期（含），默认截止日前 29 天' })),
    to: Type.Optional(Type.String({ format: 'date', description: '截止日期（含），默认今天' })),
  },
  { additionalProperties: false },
);
export const ExportQuery = Type.Object(
  {
    table: Type.Union([Type.Literal('children'), Type.Literal('services'), Type.Literal('trend')]),
    format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
    from: Type.Optional(Type.String({ format: 'date' })),
    to: Type.Optional(Type.String({ format: 'date' })),
  },
  { additionalProperties: false },
);
