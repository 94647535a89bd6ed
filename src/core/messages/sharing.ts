/** The message catalogue (../messages.ts): data sharing's sentences: grants, consents, records. */
export const SHARING_MESSAGES = {
  'sharing.fields.none': { zh: '请至少选择一个字段', en: 'name at least one field' },
  'sharing.purpose.format': { zh: '用途代码格式不正确', en: 'the purpose code has the wrong format' },
  'sharing.grant.validUntilPast': { zh: '有效期须晚于当前时间', en: 'validUntil must be in the future' },
  'sharing.grant.legalBasisRequired': { zh: '请填写法律依据', en: 'a legal basis is required' },
  'sharing.grant.refusalReasonRequired': { zh: '请填写不予批准的理由', en: 'a reason is required' },
  'sharing.consent.approved': { zh: '同意', en: 'approved' },
  'sharing.consent.declined': { zh: '拒绝', en: 'declined' },
  'sharing.records.licences': {
    zh: '电子证照库的数据即已签发的证照，不能在此录入',
    en: "the e-licence library's records are the certificates issued; they cannot be written here",
  },
  'sharing.records.external': { zh: '外部数据由部门自有系统维护', en: "an external dataset is kept in the department's own system" },
  'sharing.records.noField': { zh: '请至少填写一个字段', en: 'fill in at least one field' },
  'sharing.external.keyInvalid': { zh: '数据集配置的部门公钥无效', en: "the dataset's pinned department key is not a valid public key" },
  'sharing.external.keyNotEd25519': { zh: '部门公钥须为 Ed25519', en: 'the pinned department key must be Ed25519' },
} as const;
