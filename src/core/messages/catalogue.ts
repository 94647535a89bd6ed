/**
 * The message catalogue's sentences (../messages.ts), by area: each key starts with its area. One
 * object literal, so that a key written twice is a compile error rather than a silent replacement.
 */
export const CATALOGUE = {
  // ---- platform ----
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
  // ---- oidc ----
  'oidc.clientIdInvalid': {
    zh: '客户端标识须为 3–64 个小写字母、数字、点、- 或 _',
    en: 'a client id is 3–64 lowercase letters, digits, dots, - or _',
  },
  'oidc.redirectUriRequired': { zh: '至少登记一个回调地址', en: 'register at least one redirect URI' },
  'oidc.redirectUriInvalid': {
    zh: '回调地址 {uri} 无效（须为 https，或指向本机的 http，且不含 #）',
    en: 'the redirect URI {uri} is invalid (https, or http to this machine, with no #)',
  },
  'oidc.noRealName': { zh: '身份令牌中没有实名信息（yiban_realname）', en: 'the ID token carries no real-name claims (yiban_realname)' },
  'oidc.accessDenied': { zh: '居民未同意授权', en: 'the resident did not consent' },
  // ---- catalog ----
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
  // ---- identity ----
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
  // ---- orgs ----
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
  // ---- ledger ----
  'ledger.entry.kind': { zh: '账本条目类型“{kind}”无效', en: 'invalid ledger entry kind "{kind}"' },
  'ledger.entry.tooLarge': { zh: '账本条目最多 {max} 字节', en: 'a ledger entry has at most {max} bytes' },
  'ledger.proof.indexOutsideTree': { zh: '条目 {index} 不在规模为 {size} 的树中', en: 'entry {index} is not in the tree of size {size}' },
  'ledger.proof.fromAfterTo': { zh: '起始规模不能大于目标规模', en: 'from must not be greater than to' },
  'ledger.witness.keyType': {
    zh: '见证方公钥须为 cosignature/v1（类型 0x04）vkey',
    en: 'a witness key must be a cosignature/v1 (type 0x04) vkey',
  },
  'ledger.witness.logKeyType': {
    zh: '被见证账本的公钥须为 Ed25519（类型 0x01）vkey',
    en: 'a witnessed log key must be an Ed25519 (type 0x01) vkey',
  },
  'ledger.witness.url': { zh: '地址须为 http(s) URL', en: 'the address must be an http(s) URL' },
  'ledger.cosignature.malformed': { zh: '签名行格式错误', en: 'malformed signature line' },
  'ledger.cosignature.mismatch': { zh: '签名与该检查点不符', en: 'it does not verify for this checkpoint' },
  'ledger.cosignature.future': { zh: '签名时间在未来', en: 'its time is in the future' },
  // ---- sharing ----
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
  'sharing.external.keyNotSupported': { zh: '部门公钥须为 Ed25519 或 SM2', en: 'the pinned department key must be Ed25519 or SM2' },
  'sharing.payment.instructionId': { zh: '支付指令编号须为 UUID', en: 'the instruction id must be a UUID' },
  'sharing.payment.amount': { zh: '支付金额须为正整数（分）', en: 'the amount must be a positive whole number of fen' },
  'sharing.payment.payeeName': { zh: '请填写收款人姓名（不超过 64 个字符）', en: "the payee's name is required (at most 64 characters)" },
  'sharing.payment.reference': { zh: '支付附言须为 1 至 200 个字符', en: 'the reference must be 1 to 200 characters' },
  'sharing.payment.changed': {
    zh: '该支付指令编号已用于不同的收款人、金额或用途',
    en: 'this instruction id was already used for another payee, amount or purpose',
  },
  'sharing.payment.bank': { zh: '代发银行', en: 'The paying bank' },
  // ---- bundles ----
  'bundles.form.unknownFields': { zh: '不允许的字段 {fields}', en: 'unknown fields {fields}' },
  'bundles.consentNeeded': { zh: '需要您同意共享“{dataset}”', en: 'your consent is needed to share {dataset}' },
  'bundles.task.rejected': {
    zh: '{org}不予通过：{reason}。已办结的其他事项及其证照仍然有效；请按理由补正后单独申请，或联系该部门。',
    en: '{org} rejected it: {reason}. Completed items and their certificates stay valid; correct and apply separately, or contact the department.',
  },
  'bundles.task.returned': { zh: '退回补正：{reason}', en: 'returned for correction: {reason}' },
  'bundles.task.blocked': { zh: '等待的前置事项未通过：{tasks}', en: 'waits on {tasks}, which did not go through' },
  'bundles.definition.invalid': { zh: '事项组合定义有误：{problem}', en: 'bundle definition: {problem}' },
  'bundles.definition.duplicateTask': { zh: '{code} 任务 {task} 重复', en: '{code}: task {task} appears twice' },
  'bundles.definition.unknownItem': { zh: '{code} 未知事项 {item}', en: '{code}: unknown item {item}' },
  'bundles.definition.unknownDependency': {
    zh: '{code} 任务 {task} 依赖未知任务 {dep}',
    en: '{code}: task {task} depends on unknown task {dep}',
  },
  'bundles.definition.duplicateField': { zh: '{code} 字段 {field} 重复', en: '{code}: field {field} appears twice' },
  'bundles.definition.unknownVia': {
    zh: '{code} 字段 {field} 经由未知任务 {via}',
    en: '{code}: field {field} is fetched via unknown task {via}',
  },
  'bundles.definition.missingField': {
    zh: '{code} 合并表单缺少事项 {item} 的字段 {field}',
    en: '{code}: the merged form lacks field {field} of {item}',
  },
  'bundles.definition.ruleUnknownTask': {
    zh: '{code} 规则 {rule} 指向未知任务 {task}',
    en: '{code}: rule {rule} names unknown task {task}',
  },
  'bundles.definition.ruleOtherDepartment': {
    zh: '{code} 规则 {rule} 不能决定其他部门的任务 {task}',
    en: "{code}: rule {rule} cannot decide {task}, another department's task",
  },
  'bundles.definition.cycle': { zh: '{code} 任务依赖成环：{tasks}', en: '{code}: the task dependencies form a cycle: {tasks}' },
  // ---- applications ----
  'applications.chooseVillage': { zh: '请选择居住地所在的村（社区）', en: 'choose the village or community where you live' },
  'applications.reasonRequired': { zh: '请填写理由', en: 'a reason is required' },
  'applications.caseChanged': { zh: '办件已更新，请刷新后重试', en: 'the case has changed; reload and try again' },
  'applications.batchSize': { zh: '一次可审批 1 至 {max} 件', en: 'a batch decides 1 to {max} cases' },
  'applications.sla.steps': { zh: '督办阶梯须有 1 至 {max} 级', en: 'a ladder has 1 to {max} steps' },
  'applications.sla.step': {
    zh: '第 {n} 级须为 offset 与 levelsUp 两个整数',
    en: 'step {n} must be an object of two integers, offset and levelsUp',
  },
  'applications.sla.offset': {
    zh: '第 {n} 级的 offset 须在 {min} 至 {max} 个工作日之间，且逐级增大',
    en: 'the offset of step {n} must lie from {min} to {max} working days and grow from step to step',
  },
  'applications.sla.levelsUp': {
    zh: '第 {n} 级的 levelsUp 须在 0 至 {max} 之间，且不低于上一级',
    en: 'the levelsUp of step {n} must lie from 0 to {max} and not fall below the step before',
  },
  'applications.sla.escalated': {
    zh: '督办第 {step} 级（{when}）：{whom} {org}',
    en: 'escalation step {step} ({when}): {whom} {org}',
  },
  // ---- certificates ----
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
  // ---- rules ----
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
  'rules.expression': { zh: '{where} 有误：{error}', en: '{where}: {error}' },
  'rules.wrongType': { zh: '{where} 的结果应为 {want}，实际为 {got}', en: '{where} must give {want}, not {got}' },
  'rules.reasonRequired': { zh: '请写明修改理由', en: 'a reason is required' },
  'rules.effectiveDates': { zh: '失效日期不能早于生效日期', en: 'effectiveTo must not be before effectiveFrom' },
  'rules.expired': { zh: '该版本已过失效日期', en: 'this version is past its effectiveTo date' },
  // Why a rule may not read a dataset (sharing.ruleDataProblems), for the officer saving it and the trace of a decision.
  'rules.data.no_dataset': { zh: '数据目录中没有该数据集或字段', en: 'the data catalogue has no such dataset or field' },
  'rules.data.no_grant': {
    zh: '本单位没有覆盖这些字段、此用途的有效共享授权',
    en: 'the org holds no live grant covering these fields for this purpose',
  },
  'rules.data.consent_required': {
    zh: '授权需要居民逐一同意；免申办理须有依法免于同意的授权',
    en: "the grant needs each resident's consent; a rule that acts without an application needs a law-based grant",
  },
  'rules.data.external': {
    zh: '该数据集由部门自有系统提供，规则暂只能读取平台内数据',
    en: "the dataset is served by the department's own system; rules read platform-held data only",
  },
  'rules.data.pending_consent': { zh: '数据交换等待居民同意', en: "the exchange waits for the resident's consent" },
  'rules.concurrentChange': { zh: '该规则正被他人修改，请刷新后重试', en: 'someone else is changing this rule; reload and try again' },
  // ---- benefits ----
  'benefits.payerMissing': { zh: '待遇的支付部门 {code} 不存在', en: 'the paying department {code} does not exist' },
  'benefits.notOffered': { zh: '该待遇不在等待您确认的状态', en: 'this benefit is not waiting for your confirmation' },
  'benefits.notDeclinable': {
    zh: '该待遇已发放或已结束，不能放弃；如需停止，请选择“不再享受”',
    en: 'this benefit has been paid or has ended and cannot be declined; opt out to stop it',
  },
  'benefits.notReviewable': { zh: '只有未获批准的决定可以申请人工复核', en: 'only a refusal can be reviewed by a person' },
  'benefits.reviewPending': { zh: '已申请人工复核，请等待处理结果', en: 'a review by a person has been asked for already' },
  // ---- insurance ----
  'insurance.copy.unreachable': {
    zh: '参保地 {region} 的医保节点暂时无法访问，以下为本节点保存的参保信息（{when}）',
    en: 'the insurance node of the place of insurance {region} cannot be reached; this is the copy held here ({when})',
  },
  'insurance.copy.notFederated': {
    zh: '参保地 {region} 所在省份没有医保节点在联邦目录中，以下为本节点保存的参保信息（{when}）',
    en: 'the province of the place of insurance {region} has no node in the federation directory; this is the copy held here ({when})',
  },
  'insurance.copy.confirmedAt': { zh: '最后核实于 {at}', en: 'last confirmed at {at}' },
  'insurance.copy.neverConfirmed': { zh: '未经参保地核实', en: 'never confirmed by the place of insurance' },
  // ---- dashboards ----
  'dashboards.period': {
    zh: '统计区间无效：起止日期须为 YYYY-MM-DD，起始不晚于截止，跨度不超过 {days} 天',
    en: 'invalid period: from and to are YYYY-MM-DD, from not after to, at most {days} days',
  },
} as const;
