/** The message catalogue (../messages.ts): the org tree's sentences: departments and credit codes. */
export const ORGS_MESSAGES = {
  'orgs.searchEmpty': { zh: '请输入搜索内容', en: 'the search text is empty' },
  'orgs.department.name': { zh: '部门名称应为 1–100 个字符', en: 'the name must have 1–100 characters' },
  'orgs.department.kind': { zh: '部门类别无效', en: 'unknown department kind' },
  'orgs.department.parent': {
    zh: '部门只能设在省、市、县、乡镇级行政区划下',
    en: 'a department belongs to a province, city, county or township',
  },
  'orgs.creditCode.format': {
    zh: '应为 18 位，第 3–8 位为行政区划代码',
    en: 'it must have 18 characters with a division code in places 3–8',
  },
  'orgs.creditCode.alphabet': {
    zh: '含有不允许的字符（不使用 I、O、S、V、Z）',
    en: 'it contains characters outside the alphabet (no I, O, S, V, Z)',
  },
  'orgs.creditCode.checksum': { zh: '校验码不正确', en: 'the check character does not match' },
} as const;
