/** The message catalogue (../messages.ts): the ledger's sentences: entries, proofs, witnesses. */
export const LEDGER_MESSAGES = {
  'ledger.entry.kind': { zh: '账本条目类型“{kind}”无效', en: 'invalid ledger entry kind "{kind}"' },
  'ledger.entry.tooLarge': { zh: '账本条目最多 {max} 字节', en: 'a ledger entry has at most {max} bytes' },
  'ledger.proof.indexOutsideTree': { zh: '条目 {index} 不在规模为 {size} 的树中', en: 'entry {index} is not in the tree of size {size}' },
  'ledger.proof.fromAfterTo': { zh: '起始规模不能大于目标规模', en: 'from must not be greater than to' },
  'ledger.witness.keyType': {
    zh: '见证方公钥须为 cosignature/v1（类型 0x04）vkey',
    en: 'a witness key must be a cosignature/v1 (type 0x04) vkey',
  },
  'ledger.cosignature.malformed': { zh: '签名行格式错误', en: 'malformed signature line' },
  'ledger.cosignature.mismatch': { zh: '签名与该检查点不符', en: 'it does not verify for this checkpoint' },
  'ledger.cosignature.future': { zh: '签名时间在未来', en: 'its time is in the future' },
} as const;
