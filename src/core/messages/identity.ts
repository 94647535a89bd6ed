/** The message catalogue (../messages.ts): identity's sentences: ID numbers, names, usernames, passwords, roles, delegations. */
export const IDENTITY_MESSAGES = {
  'identity.residentId.format': {
    zh: '应为 17 位数字加 1 位校验码（数字或 X）',
    en: 'it must be 17 digits and a check character (digit or X)',
  },
  'identity.residentId.checksum': { zh: '校验码不正确，请核对号码', en: 'the check character does not match; please check the number' },
  'identity.residentId.province': { zh: '前两位不是有效的省级行政区划代码', en: 'the first two digits are not a valid province code' },
  'identity.residentId.birth_date': { zh: '出生日期不存在', en: 'the birth date does not exist' },
  'identity.residentId.future_birth_date': { zh: '出生日期晚于今天', en: 'the birth date is in the future' },
  'identity.residentId.addressCodeNotCurrent': {
    zh: '身份证号码中的地址码 {addressCode} 不在现行行政区划代码中（可能是已撤并的旧区划），已照常登记',
    en: 'The address code {addressCode} in the ID number is not a current division code (perhaps a former division); registration went ahead',
  },
  'identity.name.length': { zh: '姓名应为 1–50 个字符', en: 'the name must have 1–50 characters' },
  'identity.name.invisible': {
    zh: '姓名不能含有不可见的控制或格式字符（如零宽字符、文字方向控制符）',
    en: 'the name must not contain invisible control or format characters (zero-width, bidirectional controls)',
  },
  'identity.name.mark': { zh: '姓名不能含有组合符号', en: 'the name must not contain combining marks' },
  'identity.name.emoji': { zh: '姓名不能含有表情符号', en: 'the name must not contain emoji' },
  'identity.name.ideograph': {
    zh: '该汉字暂不支持（统一码 10.0 以后新增的字）',
    en: 'this ideograph is not supported yet (added after Unicode 10.0)',
  },
  'identity.name.character': {
    zh: '姓名只能由汉字、间隔号“·”或拉丁字母组成',
    en: 'the name may only hold Chinese characters, the middle dot “·” or Latin letters',
  },
  'identity.name.form': {
    zh: '姓名的格式不对：汉字与拉丁字母不能混用，间隔号“·”只能在两部分之间且不能连用，空格只能在拉丁字母的词之间',
    en: 'the name is malformed: no mix of Chinese and Latin letters, a middle dot only between two parts and never doubled, a space only between Latin words',
  },
  'identity.name.atCodePoint': { zh: '{problem}：{codePoint}', en: '{problem}: {codePoint}' },
  'identity.username.format': {
    zh: '用户名应为 3–32 个小写字母、数字、点、下划线或连字符',
    en: 'the username must be 3–32 lower-case letters, digits, dots, underscores or hyphens',
  },
  'identity.password.too_short': { zh: '少于 {min} 个字符', en: 'it has fewer than {min} characters' },
  'identity.password.too_long': { zh: '多于 {max} 个字符', en: 'it has more than {max} characters' },
  'identity.password.guessable': {
    zh: '是常见密码，或由常见词、姓名、账号、日期、键盘序列等组成，容易被猜中',
    en: 'it is a common password or is made of common words, names, your login, dates or keyboard patterns, and is easy to guess',
  },
  'identity.roles.count': { zh: '角色应为 1–{max} 个', en: 'give 1–{max} roles' },
  'identity.roles.notAtLevel': {
    zh: '角色 {role} 不能设在{orgName}（{level} 级）',
    en: 'the role {role} cannot be held at {orgCode} (level {level})',
  },
  'identity.delegation.scopes': { zh: '授权范围无效', en: 'invalid scopes' },
  'identity.delegation.validUntil': {
    zh: '授权截止时间应在今后一年之内',
    en: 'validUntil must be in the future and at most one year ahead',
  },
} as const;
