/**
 * The hospital interface's envelope, as hospital systems call the national medical insurance
 * platform: `infno` (the transaction), `msgid` (unique per message: the institution's code, the
 * time and a sequence, 30 characters), `mdtrtarea_admvs` (the division of treatment),
 * `insuplc_admdvs` (the place of insurance), `fixmedins_code` (the institution), `inf_time` and
 * `input`. The answer: `infcode` 0 or -1, `inf_refmsgid`, `output`, or `err_code` / `err_msg`;
 * a successful answer may carry `warn_msg` (as the national interface's does), here with `warn_msg_en`.
 * The signature is not a field here: the whole body is signed with SM2 under RFC 9421.
 */

export const TRANSACTIONS = {
  '1101': { zh: '人员信息获取', en: 'person information' },
  '2001': { zh: '人员待遇享受检查（并登记就诊）', en: 'entitlement check (opens the encounter)' },
  '2301': { zh: '住院费用明细信息上传', en: 'fee detail upload' },
  '2303': { zh: '预结算', en: 'pre-settlement' },
  '2304': { zh: '结算', en: 'settlement' },
  '2305': { zh: '结算撤销', en: 'settlement cancellation' },
  '2601': { zh: '冲正交易', en: 'reversal' },
  '3201': { zh: '医药机构费用结算对总账', en: 'daily reconciliation' },
} as const;

export type Infno = keyof typeof TRANSACTIONS;

export interface Envelope {
  infno: Infno;
  msgid: string;
  mdtrtarea_admvs: string;
  insuplc_admdvs: string;
  fixmedins_code: string;
  inf_time: string;
  /** The operator at the window (操作员). */
  opter?: string;
  input: Record<string, unknown>;
}

export interface Answer {
  infcode: 0 | -1;
  inf_refmsgid: string;
  respond_time: string;
  output?: Record<string, unknown>;
  err_code?: string;
  err_msg?: string;
  err_msg_en?: string;
  /** A successful answer's caveat: a 1101 answered from this node's copy, the place of insurance not reached. */
  warn_msg?: string;
  warn_msg_en?: string;
}

const DIVISION = /^\d{6}$/;
export const INSTITUTION_CODE = /^H\d{11}$/;
/** The institution's code, a 14-digit time and a sequence: 30 characters or fewer; ours are checked loosely. */
const MSGID = /^[A-Za-z0-9_-]{8,40}$/;

/** Checks the envelope's shape; returns a problem in words or null. */
export function envelopeProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body is not an object';
  const e = body as Record<string, unknown>;
  if (typeof e.infno !== 'string' || !(e.infno in TRANSACTIONS)) return `unknown infno ${String(e.infno)}`;
  if (typeof e.msgid !== 'string' || !MSGID.test(e.msgid)) return 'msgid';
  if (typeof e.mdtrtarea_admvs !== 'string' || !DIVISION.test(e.mdtrtarea_admvs)) return 'mdtrtarea_admvs';
  if (typeof e.insuplc_admdvs !== 'string' || !DIVISION.test(e.insuplc_admdvs)) return 'insuplc_admdvs';
  if (typeof e.fixmedins_code !== 'string' || !INSTITUTION_CODE.test(e.fixmedins_code)) return 'fixmedins_code';
  if (typeof e.inf_time !== 'string') return 'inf_time';
  if (e.opter !== undefined && (typeof e.opter !== 'string' || e.opter.length > 50)) return 'opter';
  if (typeof e.input !== 'object' || e.input === null || Array.isArray(e.input)) return 'input';
  return null;
}
