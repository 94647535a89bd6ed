import { Type, type Static } from '@sinclair/typebox';

const Words = Type.Object({ zh: Type.String(), en: Type.String() });
const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const OrgCode = Type.String({ pattern: '^[0-9A-Za-z-]{2,32}$', maxLength: 32 });

const Level = Type.Integer({ minimum: 1, maximum: 5, description: '5 非常满意 · 4 满意 · 3 基本满意 · 2 不满意 · 1 非常不满意' });

export const RatingBody = Type.Object(
  {
    level: Level,
    indicators: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z]{1,32}$' }), Type.Integer({ minimum: 1, maximum: 5 }), {
        description:
          '分项指标评分 · the channel’s sub-indicators scored (online: efficiency, guideAccuracy, convenience, usability; offline: serviceEfficiency, serviceLevel, serviceAttitude)',
      }),
    ),
    comment: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const EncounterRatingBody = Type.Object(
  {
    level: Level,
    indicators: RatingBody.properties.indicators,
    comment: RatingBody.properties.comment,
    via: Type.Union([Type.Literal('pad'), Type.Literal('sms')], {
      description: '窗口评价器 or 短信链接 · the window’s pad page or an SMS link',
    }),
  },
  { additionalProperties: false },
);

export const RerateBody = Type.Object(
  { result: Type.Union([Type.Literal('satisfied'), Type.Literal('basically_satisfied'), Type.Literal('dissatisfied')]) },
  { additionalProperties: false },
);

export const ReplyBody = Type.Object({ reply: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });

export const CallbackBody = Type.Object(
  { outcome: Type.Union([Type.Literal('reached'), Type.Literal('not_reached')]), note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const AppealBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });

export const DecisionBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('upheld'), Type.Literal('overturned')], {
      description: '评价维持 (upheld) 或撤销 (overturned) · the rating stands or is set aside',
    }),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const EncounterBody = Type.Object(
  {
    orgCode: OrgCode,
    channel: Type.Union([Type.Literal('window'), Type.Literal('kiosk'), Type.Literal('helper')]),
    serviceCode: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.]{1,63}$', maxLength: 64 })),
    caseId: Type.Optional(Type.String({ format: 'uuid' })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const TokenParams = Type.Object({ token: Type.String({ pattern: '^[2-9A-Z]{12}$' }) });

export const RatingsQuery = Type.Object({
  orgCode: OrgCode,
  bad: Type.Optional(Type.Boolean()),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$', maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const RatingSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  subject: Type.Union([Type.Literal('case'), Type.Literal('encounter')], { description: '一事一评 (case) · 一次一评 (encounter)' }),
  caseId: Nullable(Type.String({ format: 'uuid' })),
  encounterId: Nullable(Type.String({ format: 'uuid' })),
  channel: Type.String(),
  level: Type.Integer(),
  levelLabel: Words,
  bad: Type.Boolean({ description: '差评 · a bad rating (level 1 or 2)' }),
  indicators: Type.Record(Type.String(), Type.Integer()),
  comment: Nullable(Type.String()),
  realName: Type.Boolean(),
  orgCode: Type.String(),
  serviceCode: Type.String(),
  ratedAt: Time,
  overturned: Type.Boolean({ description: '申诉后撤销（仍保留） · set aside on appeal (kept on record)' }),
  rectification: Type.Union([
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      state: Type.Union([Type.Literal('open'), Type.Literal('escalated'), Type.Literal('rectified'), Type.Literal('closed')]),
      orgCode: Type.String(),
      workingDays: Type.Integer(),
      deadline: Type.String({ format: 'date' }),
      overdue: Type.Boolean(),
      escalatedToCode: Nullable(Type.String()),
      escalatedAt: Nullable(Time),
      reply: Nullable(Type.String()),
      repliedAt: Nullable(Time),
      rerating: Nullable(Type.String()),
      reratedAt: Nullable(Time),
      closedAt: Nullable(Time),
    }),
    Type.Null(),
  ]),
  callbacks: Type.Array(Type.Object({ at: Time, outcome: Type.String(), note: Nullable(Type.String()) })),
  appeal: Type.Union([
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      reason: Type.String(),
      filedAt: Time,
      decision: Nullable(Type.String()),
      decisionNote: Nullable(Type.String()),
      decidedAt: Nullable(Time),
    }),
    Type.Null(),
  ]),
});
export type RatingView = Static<typeof RatingSchema>;

export const RatingsPageSchema = Type.Object({ items: Type.Array(RatingSchema), next: Nullable(Type.String()) });

export const EncounterSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  token: Type.String(),
  link: Type.String({ description: '评价页路径（窗口评价器、短信链接） · the rating page’s path (pad, SMS link)' }),
  channel: Type.String(),
  orgCode: Type.String(),
  serviceCode: Type.String(),
  named: Type.Boolean({ description: '已知被服务人（实名评价） · the resident served is known (a real-name rating)' }),
  expiresAt: Time,
});

export const EncounterInfoSchema = Type.Object({
  orgName: Type.String(),
  serviceName: Words,
  channel: Type.String(),
  levels: Type.Array(Type.Object({ level: Type.Integer(), zh: Type.String(), en: Type.String() })),
  indicators: Type.Array(Type.Object({ name: Type.String(), zh: Type.String(), en: Type.String() })),
  expiresAt: Time,
  rated: Type.Boolean(),
});
export type EncounterInfo = Static<typeof EncounterInfoSchema>;

export const RatingFiguresSchema = Type.Object({
  orgCode: Type.String(),
  ratings: Type.Integer(),
  good: Type.Integer({ description: '好评（满意、非常满意） · good ratings (4, 5)' }),
  bad: Type.Integer(),
  badOverturned: Type.Integer({ description: '申诉撤销的差评 · bad ratings set aside on appeal' }),
  goodRate: Type.Union([Type.Number(), Type.Null()], { description: '好评率 · good ÷ ratings' }),
  realNameBad: Type.Integer(),
  calledBack: Type.Integer(),
  callbackRate: Type.Union([Type.Number(), Type.Null()], {
    description: '回访率 = 已回访 ÷ 实名差评 · called back ÷ real-name bad ratings',
  }),
  rectificationsOpen: Type.Integer(),
  rectificationsOverdue: Type.Integer(),
  escalated: Type.Integer(),
  rectified: Type.Integer(),
  rectifiedOnTime: Type.Integer(),
});
export type RatingFigures = Static<typeof RatingFiguresSchema>;
