import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** What a clerk did at a hospital's insurance window (医保窗口). */
export type WindowAction = 'coverage' | 'filing' | 'open' | 'fees' | 'presettle' | 'settle' | 'cancel' | 'statement';

/**
 * 医保窗口日志: every act at a hospital's insurance window, a lookup included: who (the clerk's
 * account), at which hospital, when, for whom (the person number and the masked ID, never the
 * number), and the encounter, settlement, case or message it touched. A state change writes its
 * row in the transaction of the change.
 */
export const insuranceWindowLog = pgTable(
  'insurance_window_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    actorId: uuid('actor_id').notNull(),
    institutionCode: text('institution_code').notNull(),
    action: text('action').$type<WindowAction>().notNull(),
    psnNo: text('psn_no'),
    idMasked: text('id_masked'),
    mdtrtId: text('mdtrt_id'),
    setlId: text('setl_id'),
    caseId: uuid('case_id'),
    /** The hospital-interface message the act went through (its answer is in insurance_messages). */
    msgid: text('msgid'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('insurance_window_log_inst').on(t.institutionCode, t.at), index('insurance_window_log_psn').on(t.psnNo)],
);
