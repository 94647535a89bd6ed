/** The message catalogue (../messages.ts): the rules' sentences: rule definitions, versions, dates. */
export const RULES_MESSAGES = {
  'rules.badName': {
    zh: '名称 {name} 不合规（小写字母开头，字母、数字、下划线）',
    en: 'the name {name} is not valid (a lower-case letter, then letters, digits, _)',
  },
  'rules.duplicateName': { zh: '名称 {name} 重复', en: 'the name {name} appears twice' },
  'rules.badParam': {
    zh: '参数 {name} 须有生效日期（YYYY-MM-DD）与整数取值',
    en: 'parameter {name} needs dated integer values (YYYY-MM-DD)',
  },
  'rules.noClause': { zh: '规则至少要有一个条件', en: 'a rule needs at least one clause' },
  'rules.badClauseId': { zh: '条件编号 {id} 不合规或重复', en: 'clause id {id} is not valid or appears twice' },
  'rules.clauseWords': { zh: '条件 {id} 须有中英文说明', en: 'clause {id} needs its plain words in Chinese and English' },
  'rules.expression': { zh: '{where}：{error}', en: '{where}: {error}' },
  'rules.wrongType': { zh: '{where} 的结果应为 {want}，实际为 {got}', en: '{where} must give {want}, not {got}' },
  'rules.reasonRequired': { zh: '请写明修改理由', en: 'a reason is required' },
  'rules.effectiveDates': { zh: '失效日期不能早于生效日期', en: 'effectiveTo must not be before effectiveFrom' },
  'rules.expired': { zh: '该版本已过失效日期', en: 'this version is past its effectiveTo date' },
  'rules.concurrentChange': { zh: '该规则正被他人修改，请刷新后重试', en: 'someone else is changing this rule; reload and try again' },
} as const;
