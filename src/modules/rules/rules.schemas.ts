import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, IsoDateTime, Nullable, OrgCodeParam, Uuid } from '../../http/schemas.ts';

const Name = Type.String({ pattern: '^[a-z][A-Za-z0-9_]{0,39}$', description: 'A variable or clause name' });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

const RuleCode = Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$', description: 'A rule code, e.g. benefit.old_age_allowance' });

const RuleBodySchema = Type.Object(
  {
    inputs: Type.Array(
      Type.Object(
        {
          name: Name,
          dataset: Type.String({ maxLength: 64 }),
          field: Type.String({ maxLength: 64 }),
          type: Type.Union([Type.Literal('string'), Type.Literal('int'), Type.Literal('bool'), Type.Literal('date')]),
        },
        { additionalProperties: false },
      ),
      { maxItems: 30, description: 'The dataset fields the rule reads, each as a typed variable' },
    ),
    params: Type.Array(
      Type.Object(
        {
          name: Name,
          values: Type.Array(Type.Object({ from: IsoDate, value: Type.Integer() }, { additionalProperties: false }), {
            minItems: 1,
            maxItems: 50,
          }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 30, description: 'Dated parameters (amounts in fen): the latest step on or before the evaluation date applies' },
    ),
    clauses: Type.Array(Type.Object({ id: Name, expr: Text(2000), zh: Text(200), en: Text(300) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 30,
      description: 'CEL expressions that must all be true, each with its plain words',
    }),
    amount: Nullable(Type.String({ minLength: 1, maxLength: 2000, description: 'A CEL int expression: the amount in fen' })),
  },
  { additionalProperties: false, $id: 'RuleBody', title: 'RuleBody' },
);

const RuleLegalBasisSchema = Type.Object(
  {
    titleZh: Type.String({ maxLength: 200 }),
    titleEn: Type.String({ maxLength: 300 }),
    articleZh: Type.String({ maxLength: 200 }),
    articleEn: Type.String({ maxLength: 300 }),
  },
  { additionalProperties: false, $id: 'RuleLegalBasis', title: 'RuleLegalBasis' },
);

export const ProposeRuleBody = Type.Object(
  {
    nameZh: Text(100),
    nameEn: Text(200),
    orgCode: OrgCodeParam,
    purpose: Type.String({ pattern: '^[a-z][a-z0-9_.-]{1,63}$' }),
    body: RuleBodySchema,
    legalBasis: RuleLegalBasisSchema,
    effectiveFrom: IsoDate,
    effectiveTo: Type.Optional(Nullable(IsoDate)),
    reason: Type.String({ maxLength: 500, description: 'Why the rule is written or changed (recorded with who)' }),
  },
  { additionalProperties: false, $id: 'ProposeRuleBody', title: 'ProposeRuleBody' },
);

export const ActivateRuleBody = Type.Object({ reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false });

export const RuleVersionSchema = Type.Object(
  {
    id: Uuid,
    ruleCode: Type.String(),
    version: Type.Integer(),
    nameZh: Type.String(),
    nameEn: Type.String(),
    orgCode: Type.String(),
    purpose: Type.String(),
    body: RuleBodySchema,
    legalBasis: RuleLegalBasisSchema,
    effectiveFrom: IsoDate,
    effectiveTo: Nullable(IsoDate),
    hash: Type.String({ description: 'SHA-256 of the version (hex): what its ledger leaf and every decision trace name' }),
    status: Type.Union([Type.Literal('draft'), Type.Literal('active'), Type.Literal('retired')]),
    proposedBy: Uuid,
    proposedAt: IsoDateTime,
    reason: Type.String(),
    activatedBy: Nullable(Uuid),
    activatedAt: Nullable(IsoDateTime),
    activationReason: Nullable(Type.String()),
    ledgerEntryId: Type.Integer(),
  },
  { $id: 'RuleVersion', title: 'RuleVersion' },
);

export const RuleSchema = Type.Object({ code: Type.String(), versions: Type.Array(RuleVersionSchema) }, { $id: 'Rule', title: 'Rule' });

const Sample = Type.Object({
  subject: Type.String({ description: 'A short reference to the person (a digest), no personal data' }),
  failed: Nullable(Type.String()),
});

export const DryRunSchema = Type.Object(
  {
    rule: Type.String(),
    version: Type.Integer(),
    baseline: Nullable(Type.Integer({ description: 'The version in force the candidate is compared with' })),
    on: IsoDate,
    population: Type.Integer({ description: 'People with a record in the population dataset' }),
    eligible: Type.Integer(),
    eligibleBefore: Nullable(Type.Integer()),
    added: Type.Integer(),
    removed: Type.Integer(),
    undetermined: Type.Integer({ description: 'People the data cannot decide for (a field missing): a person would' }),
    failedBy: Type.Array(Type.Object({ clause: Type.String(), count: Type.Integer() }), {
      description: 'Who is refused, by the first clause not met',
    }),
    sample: Type.Object({ added: Type.Array(Sample), removed: Type.Array(Sample) }),
    ledgerEntryId: Type.Integer(),
  },
  { $id: 'RuleDryRun', title: 'RuleDryRun' },
);

export const RuleParams = Type.Object({ code: RuleCode });
export const RuleVersionParams = Type.Object({ code: RuleCode, version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) });

export type RuleVersionView = Static<typeof RuleVersionSchema>;
export type RuleView = Static<typeof RuleSchema>;
export type ProposeRuleInput = Static<typeof ProposeRuleBody>;
export type DryRunResult = Static<typeof DryRunSchema>;
