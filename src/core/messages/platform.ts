/** The message catalogue (../messages.ts): the core, HTTP and platform sentences, and the master key's. */
export const PLATFORM_MESSAGES = {
  'cursor.invalid': { zh: '分页游标无效', en: 'invalid page cursor' },
  'http.bodyEmpty': { zh: '请求体为空', en: 'the body is empty' },
  'http.contentLength': { zh: '请求长度不正确', en: 'wrong content length' },
  'http.controlCharacter': { zh: '{where} 含有不允许的控制字符', en: '{where} contains a control character or broken text' },
  'http.outOfRange': { zh: '{field} 超出允许范围', en: '{field} is out of range' },
  'platform.name': { zh: '一办', en: 'Yiban' },
  'keys.masterKeyUnchanged': { zh: '新主密钥与现用主密钥相同', en: 'the new master key is the current one' },
  'keys.masterKeyUnmatchedRecords': {
    zh: '{count} 条内部数据集记录的当事人不是平台居民，其键无法用新主密钥重算；未作任何更改',
    en: '{count} internal dataset records are about people who are not residents of the platform; their keys cannot be recomputed under the new key. Nothing was changed',
  },
} as const;
