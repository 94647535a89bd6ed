import { Type, type Static } from '@sinclair/typebox';
import { CodeParam, IsoDate, IsoDateTime, Nullable, Uuid, UuidParams } from '../../http/schemas.ts';
import { BundleDefinitionSchema } from './bundle-definition.ts';

const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

export const BundleIdParams = UuidParams;
export const StartBundleBody = Type.Object(
  {
    bundle: Type.String({ minLength: 1, maxLength: 64 }),
    form: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 500 })),
    consent: Type.Boolean({ description: 'The parent saw which fields each department fetches and agrees' }),
  },
  { additionalProperties: false, $id: 'StartBundleBody', title: 'StartBundleBody' },
);
export const StartBundleHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 128 })) });

export const BurdenSchema = Type.Object(
  {
    forms: Type.Integer(),
    formsSeparate: Type.Integer(),
    fieldsTotal: Type.Integer(),
    fieldsPrefilled: Type.Integer(),
    fieldsSeparate: Type.Integer(),
    materialsSeparate: Type.Integer(),
    materialsBundle: Type.Integer(),
    daysSeparate: Type.Integer(),
    daysBundle: Nullable(
      Type.Integer({ description: 'Working days from the start to the last output, the start day counted; null while tasks are open' }),
    ),
    trips: Type.Integer(),
    outputs: Type.Array(Type.String(), { description: 'The identifiers of the certificates issued, in dependency order' }),
  },
  { $id: 'Burden', title: 'Burden' },
);

const TaskSchema = Type.Object({
  key: Type.String(),
  serviceCode: Type.String(),
  name: Bilingual,
  dependsOn: Type.Array(Type.String()),
  state: Type.Union([
    Type.Literal('waiting'),
    Type.Literal('blocked'),
    Type.Literal('in_progress'),
    Type.Literal('returned'),
    Type.Literal('done'),
    Type.Literal('rejected'),
  ]),
  caseId: Nullable(Uuid),
  caseNo: Nullable(Type.String()),
  department: Nullable(Type.Object({ code: Type.String(), name: Type.String() })),
  timeLimitDays: Type.Integer(),
  dueDate: Nullable(IsoDate),
  decidedBy: Nullable(Type.String({ description: '`rule:<id>` when an instant-approval rule decided, `officer` when a person did' })),
  /** Why it is rejected or blocked, and what to do. */
  reason: Nullable(Bilingual),
  output: Nullable(Type.Object({ certificateId: Uuid, identifier: Type.String() })),
});

const WaitingForSchema = Type.Object({
  department: Type.String(),
  dataset: Type.String(),
  task: Type.String({ description: 'The task whose department asked for the data' }),
  message: Bilingual,
});

export const BundleProgressSchema = Type.Object(
  {
    id: Uuid,
    bundle: Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String() }),
    state: Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('needs_attention')]),
    createdAt: IsoDateTime,
    form: Type.Array(
      Type.Object({ name: Type.String(), value: Nullable(Type.String()), prefilled: Type.Boolean(), dataset: Nullable(Type.String()) }),
    ),
    tasks: Type.Array(TaskSchema),
    waitingFor: Type.Array(WaitingForSchema, {
      description: 'External departments whose systems did not answer yet; the bundle goes on when they do (read the progress again)',
    }),
    burden: BurdenSchema,
  },
  { $id: 'BundleProgress', title: 'BundleProgress' },
);

export const BundleDefinitionList = Type.Array(BundleDefinitionSchema);

const OrgRef = Type.Object({ code: Type.String(), name: Type.String() });
const DatasetRef = Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String() });

export const BundleCodeParams = Type.Object({ code: CodeParam });

export const BundlePreviewSchema = Type.Object(
  {
    bundle: Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String() }),
    fields: Type.Array(
      Type.Object({
        name: Type.String(),
        labelZh: Type.String(),
        labelEn: Type.String(),
        type: Type.String(),
        required: Type.Boolean(),
        maxLength: Nullable(Type.Integer()),
        source: Type.Union([Type.Literal('dataset'), Type.Literal('typed')]),
        dataset: Nullable(DatasetRef),
        provider: Nullable(OrgRef),
      }),
    ),
    exchanges: Type.Array(
      Type.Object({
        dataset: DatasetRef,
        provider: OrgRef,
        consumer: Nullable(OrgRef),
        fields: Type.Array(
          Type.Object({
            name: Type.String(),
            labelZh: Type.String(),
            labelEn: Type.String(),
            sensitivity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
          }),
        ),
        formFields: Type.Array(Type.String()),
        purpose: Type.String(),
        task: Type.Object({ key: Type.String(), serviceCode: Type.String(), name: Bilingual }),
        granted: Type.Boolean(),
        legalBasis: Nullable(Type.String()),
        consentRequired: Type.Boolean(),
        grantValidUntil: Nullable(Type.String()),
      }),
    ),
    tasks: Type.Array(
      Type.Object({
        key: Type.String(),
        serviceCode: Type.String(),
        name: Bilingual,
        department: Nullable(OrgRef),
        dependsOn: Type.Array(Type.String()),
        timeLimitDays: Type.Integer(),
        materials: Type.Array(Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String() })),
      }),
    ),
    burden: BurdenSchema,
  },
  { $id: 'BundlePreview', title: 'BundlePreview' },
);

export type StartBundleInput = Static<typeof StartBundleBody>;
export type BurdenFigures = Static<typeof BurdenSchema>;
export type TaskProgress = Static<typeof TaskSchema>;
export type TaskState = TaskProgress['state'];
export type WaitingFor = Static<typeof WaitingForSchema>;
export type BundleProgress = Static<typeof BundleProgressSchema>;
export type BundlePreview = Static<typeof BundlePreviewSchema>;
export type PreviewField = BundlePreview['fields'][number];
export type PreviewExchange = BundlePreview['exchanges'][number];
export type PreviewTask = BundlePreview['tasks'][number];

export const PrefillDraftBody = Type.Object(
  { consent: Type.Boolean({ description: '居民已预览并同意调取 · the resident previewed and agreed to the data being fetched' }) },
  { additionalProperties: false },
);
export const PrefilledDraftSchema = Type.Object(
  {
    caseId: Type.String({ format: 'uuid' }),
    serviceCode: Type.String(),
    form: Type.Record(Type.String(), Type.String()),
    provenance: Type.Record(
      Type.String(),
      Type.Union([
        Type.Object({ dataset: Type.String(), field: Type.String(), exchangeId: Type.Optional(Type.String({ format: 'uuid' })) }),
        Type.Object({ account: Type.Literal('phone') }),
      ]),
    ),
    waitingFor: Type.Array(WaitingForSchema),
  },
  { $id: 'PrefilledDraft' },
);
