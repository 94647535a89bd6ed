import { Type, type Static } from '@sinclair/typebox';

const Day = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD（中国时间）· China date' });
const Share = Type.Number({ minimum: 0, maximum: 1 });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const Count = Type.Integer({ minimum: 0 });

export const ServiceFiguresQuery = Type.Object({
  from: Day,
  to: Day,
  orgCode: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Za-z]{2,18}$',
      description: '机构（默认：本人唯一的医保授权机构）· org; default: the caller’s one insurance grant',
    }),
  ),
});

const ServiceRow = Type.Object({
  code: Type.String(),
  nameZh: Type.String(),
  nameEn: Type.String(),
  fullyOnline: Type.Boolean({ description: '全程网办 · fully online' }),
  promisedDays: Type.Union([Type.Integer(), Type.Null()], { description: '承诺时限（工作日）· promised working days' }),
  legalDays: Type.Union([Type.Integer(), Type.Null()], { description: '法定时限（工作日）· legal working days' }),
  decided: Count,
  averageWorkingDays: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
    description:
      '平均办理工作日（提交至办结，工作日计时，补正期间不计）· average working days, submission to decision, correction time excluded',
  }),
  instant: Type.Integer({ minimum: 0, description: '规则秒批件数 · decided by a rule, no person' }),
  instantShare: Type.Union([Share, Type.Null()]),
  returned: Type.Integer({ minimum: 0, description: '曾退回补正件数 · returned for correction at least once' }),
});

export const ServiceFiguresSchema = Type.Object(
  {
    org: Type.Object({ code: Type.String(), name: Type.String() }),
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    online: Type.Object({
      services: Count,
      fullyOnline: Count,
      rate: Type.Number({ minimum: 0, maximum: 1, description: '网上可办率 = 全程网办事项数 ÷ 事项数 · online rate' }),
    }),
    overall: Type.Object({
      decided: Count,
      instant: Count,
      instantShare: Type.Union([Share, Type.Null()], { description: '秒批占比 · share decided instantly by a rule' }),
      returned: Count,
      servicesWithCases: Count,
      averageWorkingDays: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
        description: '平均办理工作日（按事项平均）· average working days per service (mean of the services’ averages)',
      }),
      averageWorkingDaysPerCase: NullableNumber,
    }),
    services: Type.Array(ServiceRow),
  },
  { $id: 'InsuranceServiceFigures', title: 'InsuranceServiceFigures' },
);

export type ServiceFiguresDto = Static<typeof ServiceFiguresSchema>;
