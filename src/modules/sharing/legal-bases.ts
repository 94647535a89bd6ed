import type { Static } from '@sinclair/typebox';
import type { LegalBasisSchema } from './sharing.schemas.ts';

/**
 * 法定依据目录: the legal bases a grant may cite to share personal data without the resident's
 * consent. A waived-consent grant names one of these by code; free text is not enough. The list
 * is data: add an entry here (and have it checked by the legal office) to allow a new basis.
 *
 * An entry (the LegalBasis response schema) has its code; the law or regulation as its title reads
 * (titleZh/En); the article, paragraph and item cited (articleZh/En); what the provision allows,
 * in short (summaryZh/En).
 */
export type LegalBasis = Static<typeof LegalBasisSchema>;

export const LEGAL_BASES: readonly LegalBasis[] = [
  {
    code: 'pipl-13-1-3',
    titleZh: '《中华人民共和国个人信息保护法》',
    titleEn: 'Personal Information Protection Law of the PRC',
    articleZh: '第十三条第一款第（三）项',
    articleEn: 'Art. 13(1)(iii)',
    summaryZh: '为履行法定职责或者法定义务所必需',
    summaryEn: 'necessary to perform statutory duties or obligations',
  },
  {
    code: 'pipl-13-1-4',
    titleZh: '《中华人民共和国个人信息保护法》',
    titleEn: 'Personal Information Protection Law of the PRC',
    articleZh: '第十三条第一款第（四）项',
    articleEn: 'Art. 13(1)(iv)',
    summaryZh: '为应对突发公共卫生事件，或者紧急情况下为保护自然人的生命健康和财产安全所必需',
    summaryEn: "necessary to respond to a public health emergency, or in an emergency to protect a person's life, health or property",
  },
  {
    code: 'pipl-13-1-7',
    titleZh: '《中华人民共和国个人信息保护法》',
    titleEn: 'Personal Information Protection Law of the PRC',
    articleZh: '第十三条第一款第（七）项',
    articleEn: 'Art. 13(1)(vii)',
    summaryZh: '法律、行政法规规定的其他情形',
    summaryEn: 'other cases provided by laws and administrative regulations',
  },
  {
    code: 'pipl-34',
    titleZh: '《中华人民共和国个人信息保护法》',
    titleEn: 'Personal Information Protection Law of the PRC',
    articleZh: '第三十四条',
    articleEn: 'Art. 34',
    summaryZh: '国家机关为履行法定职责处理个人信息，依照法律、行政法规规定的权限、程序进行，不超出所必需的范围和限度',
    summaryEn:
      'state organs process personal information to perform statutory duties, within the powers and procedures set by law and no further than necessary',
  },
  {
    code: 'dsl-38',
    titleZh: '《中华人民共和国数据安全法》',
    titleEn: 'Data Security Law of the PRC',
    articleZh: '第三十八条',
    articleEn: 'Art. 38',
    summaryZh: '国家机关为履行法定职责的需要收集、使用数据，在其履行法定职责的范围内依照法律、行政法规规定的条件和程序进行',
    summaryEn:
      'state organs collect and use data as their statutory duties require, within those duties and under the conditions and procedures set by law',
  },
  {
    code: 'hukou-7',
    titleZh: '《中华人民共和国户口登记条例》',
    titleEn: 'Regulations of the PRC on Household Registration',
    articleZh: '第七条',
    articleEn: 'Art. 7',
    summaryZh: '婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居向婴儿常住地户口登记机关申报出生登记',
    summaryEn: "a birth is registered with the household registration authority of the baby's residence within one month",
  },
  {
    code: 'mchl-23',
    titleZh: '《中华人民共和国母婴保健法》',
    titleEn: 'Law of the PRC on Maternal and Infant Health Care',
    articleZh: '第二十三条',
    articleEn: 'Art. 23',
    summaryZh: '医疗保健机构依照规定出具统一制发的新生儿出生医学证明',
    summaryEn: 'medical institutions issue the uniform birth medical certificate as prescribed',
  },
];

export function findLegalBasis(code: string): LegalBasis | undefined {
  return LEGAL_BASES.find((b) => b.code === code);
}

/** How a grant cites the basis: 《…》第…条 (summary). */
export function citeLegalBasis(basis: LegalBasis): string {
  return `${basis.titleZh}${basis.articleZh}：${basis.summaryZh}`;
}
