/** The verifier's words: check names, field labels, the one-line summary of a result, times. */
import { REASON_TEXT, type Check, type CheckName, type VerificationResult } from '../../../src/verify/verify-certificate.ts';

export const CHECK_NAMES: Record<CheckName, { zh: string; en: string }> = {
  format: { zh: '格式', en: 'Format' },
  disclosures: { zh: '显示信息', en: 'Shown information' },
  issuer: { zh: '出具机关', en: 'Issuer' },
  signature: { zh: '电子印章签名', en: 'Seal signature' },
  validity: { zh: '有效期', en: 'Validity period' },
  status: { zh: '证明状态', en: 'Status' },
  ledger: { zh: '存证账本', en: 'Ledger' },
};

/** Field names a certificate commonly discloses, in plain words; others show as they are. */
export const FIELD_LABELS: Record<string, { zh: string; en: string }> = {
  holderName: { zh: '姓名', en: 'Name' },
  residentIdMasked: { zh: '身份证号', en: 'ID number' },
  address: { zh: '居住地址', en: 'Address' },
  residentSince: { zh: '居住起始日期', en: 'Living there since' },
  purpose: { zh: '用途', en: 'Purpose' },
  relativeName: { zh: '亲属姓名', en: 'Relative' },
  relation: { zh: '关系', en: 'Relation' },
};

type Pick = (text: { zh: string; en: string }) => string;
type T = (zh: string, en: string) => string;

export function summary(result: VerificationResult, pick: Pick, t: T): string {
  const bad = result.checks.filter((c) => c.result === 'fail' || c.result === 'unknown');
  if (bad.length === 0)
    return t(
      '电子印章签名有效，证明未被撤销，内容未被篡改。',
      'The seal signature checks, the certificate is not revoked and its content is unchanged.',
    );
  return bad.map((c) => (c.reason ? pick(REASON_TEXT[c.reason]) : pick(CHECK_NAMES[c.check]))).join('；');
}

export function checkWord(c: Check, pick: Pick, t: T): string {
  if (c.reason) return pick(REASON_TEXT[c.reason]);
  switch (c.result) {
    case 'pass':
      return t('通过', 'passed');
    case 'fail':
      return t('未通过', 'failed');
    case 'unknown':
      return t('无法确定', 'unknown');
    case 'skipped':
      return t('未检查', 'not checked');
  }
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}
