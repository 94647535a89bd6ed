/** The message catalogue (../messages.ts): the applications' sentences. */
export const APPLICATIONS_MESSAGES = {
  'applications.chooseVillage': { zh: '请选择居住地所在的村（社区）', en: 'choose the village or community where you live' },
  'applications.reasonRequired': { zh: '请填写理由', en: 'a reason is required' },
  'applications.caseChanged': { zh: '办件已更新，请刷新后重试', en: 'the case has changed; reload and try again' },
  'applications.batchSize': { zh: '一次可审批 1 至 {max} 件', en: 'a batch decides 1 to {max} cases' },
} as const;
