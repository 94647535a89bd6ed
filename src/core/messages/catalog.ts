/** The message catalogue (../messages.ts): the catalog's sentences: dates and application forms. */
export const CATALOG_MESSAGES = {
  'catalog.invalidDate': { zh: '日期无效', en: 'invalid date' },
  'catalog.form.unknownField': { zh: '不允许的字段 {field}', en: 'unknown field {field}' },
  'catalog.form.required': { zh: '请填写“{label}”', en: '{label} is required' },
  'catalog.form.notText': { zh: '“{label}”应为文本', en: '{label} must be text' },
  'catalog.form.tooLong': { zh: '“{label}”最多 {max} 个字', en: '{label} must have at most {max} characters' },
  'catalog.form.badDate': { zh: '“{label}”不是有效日期（YYYY-MM-DD）', en: '{label} is not a valid date (YYYY-MM-DD)' },
  'catalog.form.badOption': { zh: '“{label}”的取值无效', en: '{label} has an invalid value' },
  'catalog.form.dateOutsideWindow': {
    zh: '“{label}”应在今天（{today}）至 {latest} 之间',
    en: '{label} must be between today ({today}) and {latest}',
  },
  'catalog.form.dateAfterToday': { zh: '“{label}”不能晚于今天（{today}）', en: '{label} cannot be after today ({today})' },
  'catalog.form.dateTooEarly': { zh: '“{label}”不能早于 {earliest}', en: '{label} cannot be before {earliest}' },
} as const;
