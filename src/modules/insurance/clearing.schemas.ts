import { Type } from '@sinclair/typebox';

const Fen = Type.Integer({ minimum: 0, description: '分 · fen' });
export const ClearingSchema = Type.Object(
  {
    month: Type.String(),
    treatmentRegion: Type.String({ description: '就医地统筹区 · pooling city of treatment' }),
    insuranceRegion: Type.String({ description: '参保地统筹区 · pooling region of insurance' }),
    totals: Type.Object({ count: Type.Integer({ minimum: 0 }), totalFen: Fen, fundFen: Fen, accountFen: Fen, cashFen: Fen }),
    discrepancies: Type.Array(
      Type.Object({
        institutionCode: Type.String(),
        day: Type.String(),
        reason: Type.Union([Type.Literal('no_reconciliation'), Type.Literal('mismatch'), Type.Literal('changed_after_reconciliation')]),
      }),
    ),
    certificateId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: '清算单 · the sealed clearing statement' }),
  },
  { $id: 'InsuranceClearing', title: 'InsuranceClearing' },
);

export const MonthQuery = Type.Object({ month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' }) });
