/**
 * The message catalogue: every user-facing sentence of the server that is not an error code's own
 * message, in Chinese and English, under a stable key. Code names the key —
 * `message('cursor.invalid')`, `message('catalog.form.required', { label })` — and gets the pair
 * back, to pass as an error parameter, a warning or a response field. `{name}` in a text is filled
 * from params; a param may itself be a pair (a form label, a noun), then each language takes its own.
 * The sentences sit in messages/catalogue.ts, by area (keys start with the area).
 *
 * Error codes keep their messages in errors.ts (ERROR_CODES); the nouns of their `{what}` are here.
 * src/verify keeps its own (REASON_TEXT in verify-certificate.ts): it is bundled for the browser and
 * imports nothing from outside src/verify.
 */

import { CATALOGUE } from './messages/catalogue.ts';

export interface Bilingual {
  zh: string;
  en: string;
}

/** A message parameter: plain, or worded in each language. */
export type MessageParam = string | number | Bilingual;
export type MessageParams = Record<string, MessageParam>;

export const MESSAGES = CATALOGUE satisfies Record<string, Bilingual>;

export type MessageKey = keyof typeof MESSAGES;

/** Words used in `{what}` params, so that a 404 reads naturally in both languages. */
export const NOUNS = {
  case: { zh: '办件', en: 'Case' },
  account: { zh: '账号', en: 'Account' },
  org: { zh: '机构', en: 'Organisation' },
  service: { zh: '事项', en: 'Service item' },
  delegation: { zh: '帮办授权', en: 'Helper authorisation' },
  helper: { zh: '帮办员', en: 'Helper' },
  resident: { zh: '居民', en: 'Resident' },
  role: { zh: '角色', en: 'Role' },
  signingKey: { zh: '签名密钥', en: 'Signing key' },
  ledgerEntry: { zh: '账本条目', en: 'Ledger entry' },
  tile: { zh: '账本瓦片', en: 'Ledger tile' },
  checkpoint: { zh: '账本检查点', en: 'Ledger checkpoint' },
  witness: { zh: '见证方', en: 'Witness' },
  witnessLog: { zh: '被见证的账本', en: 'Witnessed log' },
  certificate: { zh: '证明', en: 'Certificate' },
  share: { zh: '分享链接', en: 'Share link' },
  statusList: { zh: '状态列表', en: 'Status list' },
  signature: { zh: '签名备案', en: 'Registered signature' },
  dataset: { zh: '数据集', en: 'Dataset' },
  grant: { zh: '共享授权', en: 'Sharing grant' },
  exchange: { zh: '数据使用请求', en: 'Data request' },
  bundle: { zh: '一件事', en: 'Bundle' },
  event: { zh: '事件', en: 'Event' },
  rule: { zh: '规则', en: 'Rule' },
  benefit: { zh: '待遇', en: 'Benefit' },
  message: { zh: '消息', en: 'Message' },
  insuredPerson: { zh: '参保人员', en: 'Insured person' },
  encounter: { zh: '就诊记录', en: 'Encounter' },
  settlement: { zh: '结算记录', en: 'Settlement' },
  remoteSettlement: { zh: '在途跨省结算', en: 'Open cross-province settlement' },
  institution: { zh: '定点医疗机构', en: 'Designated institution' },
  insurancePolicy: { zh: '医保政策', en: 'Insurance policy' },
  reminder: { zh: '催办提醒', en: 'Reminder' },
  trustList: { zh: '全国信任列表', en: 'National trust list' },
  federationMessage: { zh: '跨省报文', en: 'Federation message' },
  evidence: { zh: '外省证照材料', en: 'Evidence from another province' },
} as const satisfies Record<string, Bilingual>;

export type Noun = keyof typeof NOUNS;

/** Fills `{name}` in `template` from params in one language; a missing param leaves nothing. */
export function fillTemplate(template: string, params: MessageParams, lang: keyof Bilingual): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) return '';
    return typeof value === 'object' ? value[lang] : String(value);
  });
}

/** The catalogue's message `key` in both languages, its `{name}` placeholders filled from params. */
export function message(key: MessageKey, params: MessageParams = {}): Bilingual {
  const text: Bilingual = MESSAGES[key];
  return { zh: fillTemplate(text.zh, params, 'zh'), en: fillTemplate(text.en, params, 'en') };
}
