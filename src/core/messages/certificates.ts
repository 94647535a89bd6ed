/** The message catalogue (../messages.ts): the certificates' sentences: status, signatures, share links, seals, keys. */
export const CERTIFICATES_MESSAGES = {
  'certificates.reasonRequired': { zh: '请填写理由', en: 'a reason is required' },
  'certificates.statusListFull': { zh: '状态列表已满', en: 'the status list is full' },
  'certificates.statusChange': {
    zh: '证书当前状态为 {from}，不能改为 {to}',
    en: 'the certificate is {from}; it cannot become {to}',
  },
  'certificates.signature.image': { zh: '签名图片须为 200 KB 以内的 PNG', en: 'the signature must be a PNG of at most 200 KB' },
  'certificates.signature.notPending': { zh: '该签名不是待备案状态', en: 'this signature is not pending' },
  'certificates.share.hours': { zh: '有效期应为 1–{max} 小时', en: 'the link must last 1–{max} hours' },
  'certificates.share.unknownFields': { zh: '没有这些字段：{fields}', en: 'no such fields: {fields}' },
  'certificates.seal.nameLength': { zh: '印章名称须为 2–25 个字', en: 'a seal name has 2–25 characters' },
  'certificates.seal.bottomLength': { zh: '印章下方文字最多 12 个字', en: 'the seal’s bottom line has at most 12 characters' },
  'certificates.key.rotating': { zh: '密钥正在被并发轮换', en: 'the key is being rotated concurrently' },
} as const;
