/**
 * The one error type of Yiban. Domain code throws `AppError` with a stable code; the HTTP
 * layer maps the code to a status and renders the message in the caller's language.
 */
import { fillTemplate, NOUNS, type MessageParams, type Noun } from './messages.ts';

export type Lang = 'zh-CN' | 'en';

interface ErrorDef {
  status: number;
  zh: string;
  en: string;
}

/** Every stable error code, its HTTP status and its message in both languages. `{name}` is filled from params. */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, zh: '请求内容有误：{detail}', en: 'The request is invalid: {detail}' },
  MALFORMED_JSON: { status: 400, zh: '请求内容不是有效的 JSON', en: 'The request body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, zh: '不支持的内容类型', en: 'Unsupported content type' },
  PAYLOAD_TOO_LARGE: { status: 413, zh: '请求内容过大', en: 'The request body is too large' },
  ROUTE_NOT_FOUND: { status: 404, zh: '没有这个接口', en: 'No such endpoint' },
  NOT_FOUND: { status: 404, zh: '未找到{what}', en: '{what} not found' },
  UNAUTHENTICATED: { status: 401, zh: '请先登录', en: 'Please log in first' },
  FORBIDDEN: { status: 403, zh: '无权执行此操作', en: 'You are not allowed to do this' },
  CROSS_SITE_REQUEST: {
    status: 403,
    zh: '请求并非来自本站页面，已拒绝（跨站请求防护）',
    en: 'The request does not come from a page of this site and was refused (cross-site request protection)',
  },
  INVALID_CREDENTIALS: { status: 401, zh: '账号或密码错误', en: 'Wrong account or password' },
  ONE_TIME_CODE_INVALID: { status: 401, zh: '验证码错误或已过期，请重新获取', en: 'The code is wrong or has expired; ask for a new one' },
  ACCOUNT_LOCKED: {
    status: 423,
    zh: '登录失败次数过多，账号已临时锁定，请于 {until} 后再试',
    en: 'Too many failed logins; the account is locked until {until}',
  },
  RATE_LIMITED: {
    status: 429,
    zh: '请求过于频繁，请 {seconds} 秒后再试',
    en: 'Too many requests; try again in {seconds} s',
  },
  KIOSK_LOGIN_UNAVAILABLE: {
    status: 503,
    zh: '自助终端验证码登录暂不可用（未配置短信服务），请使用密码登录或到窗口办理',
    en: 'Kiosk login with a text-message code is unavailable (no SMS service is configured); log in with a password or ask at the service desk',
  },
  ACCOUNT_DISABLED: { status: 403, zh: '账号已停用', en: 'The account is disabled' },
  INVALID_RESIDENT_ID: { status: 400, zh: '居民身份证号码无效：{reason}', en: 'Invalid resident ID number: {reason}' },
  INVALID_CREDIT_CODE: { status: 400, zh: '统一社会信用代码无效：{reason}', en: 'Invalid unified social credit code: {reason}' },
  INVALID_DIVISION_CODE: { status: 400, zh: '行政区划代码无效：{code}', en: 'Invalid division code: {code}' },
  INVALID_PHONE: { status: 400, zh: '手机号码无效', en: 'Invalid mobile phone number' },
  WEAK_PASSWORD: {
    status: 400,
    zh: '密码不够安全：{reason}。请使用至少 10 个字符、不易猜到的密码，例如几个不相关的词加数字和符号',
    en: 'The password is too weak: {reason}. Use at least 10 characters that are hard to guess, e.g. a few unrelated words with digits and symbols',
  },
  CURRENT_PASSWORD_WRONG: { status: 400, zh: '当前密码不正确', en: 'The current password is wrong' },
  PASSWORD_UNCHANGED: { status: 400, zh: '新密码不能与当前密码相同', en: 'The new password must differ from the current one' },
  BOOTSTRAP_TOKEN_INVALID: {
    status: 403,
    zh: '首次设置令牌无效、已过期或已使用（平台已有管理员时不能再用）；请重启服务获取新的令牌，或用 yiban admin create 创建管理员',
    en: 'The setup token is wrong, expired or used (it cannot be used once an administrator exists); restart the server for a new one, or run yiban admin create',
  },
  ALREADY_REGISTERED: { status: 409, zh: '该身份证号码已注册', en: 'This resident ID number is already registered' },
  USERNAME_TAKEN: { status: 409, zh: '用户名已被使用', en: 'This username is taken' },
  ALREADY_EXISTS: { status: 409, zh: '{what}已存在', en: '{what} already exists' },
  INVALID_STATE: {
    status: 409,
    zh: '办件当前状态为“{state}”，不能执行“{action}”',
    en: 'The case is "{state}"; "{action}" is not possible now',
  },
  CONFLICT: { status: 409, zh: '操作冲突：{detail}', en: 'Conflict: {detail}' },
  ALREADY_DECIDED: { status: 409, zh: '该办件已有审批结论', en: 'This case has already been decided' },
  SLA_LADDER_INVALID: { status: 400, zh: '督办阶梯配置无效：{detail}', en: 'The escalation ladder is invalid: {detail}' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    zh: '幂等键已用于不同的请求内容',
    en: 'This Idempotency-Key was already used with a different request',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    zh: '幂等键格式无效（8–128 个字母、数字、-、_）',
    en: 'Invalid Idempotency-Key (8–128 letters, digits, - or _)',
  },
  DELEGATION_REQUIRED: {
    status: 403,
    zh: '没有该居民的有效帮办授权',
    en: 'No valid helper authorisation from this resident',
  },
  SERVICE_NOT_AVAILABLE: { status: 409, zh: '该事项暂不支持此渠道办理', en: 'This service is not available on this channel' },
  LEDGER_SIZE_UNAVAILABLE: {
    status: 404,
    zh: '透明账本尚无规模为 {size} 的签名树（当前为 {latest}）',
    en: 'The ledger has no signed tree of size {size} (the latest has {latest})',
  },
  UNKNOWN_WITNESS: { status: 403, zh: '未登记的见证方：{name}', en: 'Unknown witness: {name}' },
  COSIGNATURE_INVALID: { status: 400, zh: '见证签名无效：{reason}', en: 'The cosignature is not valid: {reason}' },
  KEY_RETIRED: { status: 409, zh: '签名密钥 {keyId} 已停用，不能再签名', en: 'Signing key {keyId} is retired and can no longer sign' },
  GRANT_REQUIRED: {
    status: 403,
    zh: '没有覆盖所请求字段与用途的有效数据共享授权',
    en: 'No valid data sharing grant covers the requested fields and purpose',
  },
  LEGAL_BASIS_REQUIRED: {
    status: 400,
    zh: '无需本人同意的共享授权须引用法定依据目录中的一项',
    en: 'A grant that waives consent must cite an entry of the legal-basis catalogue',
  },
  UNKNOWN_LEGAL_BASIS: { status: 400, zh: '法定依据目录中没有：{code}', en: 'The legal-basis catalogue has no entry {code}' },
  RULE_INVALID: { status: 400, zh: '规则无法解析或类型不符：{detail}', en: 'The rule does not parse or type-check: {detail}' },
  RULE_LEGAL_BASIS_REQUIRED: {
    status: 400,
    zh: '规则须写明其法律依据（文件名称与条款）',
    en: 'A rule must cite its legal basis (the document and the article)',
  },
  RULE_INPUT_NOT_GRANTED: {
    status: 403,
    zh: '规则读取的数据“{dataset}”不可用：{problem}',
    en: 'The rule reads {dataset}, which it may not: {problem}',
  },
  RULE_NOT_DRAFT: {
    status: 409,
    zh: '只有草稿版本可以启用（该版本为 {status}）',
    en: 'Only a draft version can be switched on (this one is {status})',
  },
  SELF_APPROVAL: { status: 403, zh: '不能审批自己提出的申请', en: 'You cannot approve or refuse your own request' },
  GRANT_NOT_PENDING: {
    status: 409,
    zh: '该共享授权不在待审批状态（当前：{status}）',
    en: 'This grant is not awaiting approval (it is {status})',
  },
  UNKNOWN_FIELD: { status: 400, zh: '数据集“{dataset}”没有字段：{fields}', en: 'Dataset "{dataset}" has no field: {fields}' },
  EXCHANGE_NOT_PENDING: {
    status: 409,
    zh: '该数据使用请求已处理，不能再{action}',
    en: 'This data request is no longer pending; it cannot be {action}',
  },
  DEPARTMENT_UNAVAILABLE: {
    status: 503,
    zh: '正在等待{department}：其系统暂时无法连接（已尝试 {attempts} 次），稍后会再试',
    en: 'Waiting for {department}: its system did not answer ({attempts} attempts); it will be tried again later',
  },
  DEPARTMENT_REFUSED: {
    status: 502,
    zh: '{department}的系统拒绝了数据请求：{reason}',
    en: 'The system of {department} refused the data request: {reason}',
  },
  DEPARTMENT_RESPONSE_INVALID: {
    status: 502,
    zh: '{department}的应答未通过签名核验，未予采用：{reason}',
    en: 'The answer from {department} failed verification and was not used: {reason}',
  },
  BANK_UNAVAILABLE: {
    status: 503,
    zh: '{bank}暂时无法接收支付指令（已尝试 {attempts} 次），稍后会再试；同一指令不会重复支付',
    en: '{bank} cannot take the payment instruction now ({attempts} attempts); it will be tried again later, and the same instruction is never paid twice',
  },
  PAYMENT_REFUSED: {
    status: 502,
    zh: '{bank}拒绝了支付指令：{reason}',
    en: '{bank} refused the payment instruction: {reason}',
  },
  PDF_GLYPHS_UNAVAILABLE: {
    status: 503,
    zh: '本系统的字体暂无“{characters}”的字形，无法生成 PDF（可出示电子证明或二维码核验）',
    en: 'No font on this system can draw “{characters}”, so the PDF cannot be made (show the e-certificate or its QR code instead)',
  },
  VERIFY_TRUST_LIST_INVALID: {
    status: 400,
    zh: '全国信任列表未通过验证（{reason}），未采用',
    en: 'The national trust list failed verification ({reason}) and was not used',
  },
  VERIFY_TRUST_REQUIRED: {
    status: 400,
    zh: '核验需要出具平台的信任列表：请用 --platform URL（或设置 YIBAN_PUBLIC_URL）指定平台，或用 --trust 指定已固定的信任文件',
    en: "Verification needs the issuing platform's trust list: name the platform with --platform URL (or YIBAN_PUBLIC_URL), or a pinned trust file with --trust",
  },
  PLATFORM_UNREACHABLE: {
    status: 502,
    zh: '无法从 {url} 获取信任列表，且本机没有缓存：{reason}',
    en: 'Could not fetch the trust list from {url}, and none is cached: {reason}',
  },
  INSURANCE_NOT_INSURED: {
    status: 404,
    zh: '此人未在本统筹区参保或参保状态不是正常（{reason}）',
    en: 'This person is not insured here, or their coverage is not active ({reason})',
  },
  INSURANCE_UNKNOWN_CODE: {
    status: 400,
    zh: '费用明细 {line} 的编码 {code} 不在就医地医保目录中',
    en: 'Fee line {line}: code {code} is not in the catalogue of the place of treatment',
  },
  INSURANCE_PRICE_OVER_LIMIT: {
    status: 400,
    zh: '费用明细 {line} 的单价 {price} 元超过最高限价 {limit} 元',
    en: 'Fee line {line}: the unit price {price} yuan is above the highest allowed price of {limit} yuan',
  },
  INSURANCE_OTHER_INSTITUTION: {
    status: 403,
    zh: '就诊 {mdtrtId} 不属于本医疗机构',
    en: 'Encounter {mdtrtId} belongs to another institution',
  },
  INSURANCE_ENCOUNTER_STATE: {
    status: 409,
    zh: '就诊 {mdtrtId} 当前为“{state}”，不能{action}',
    en: 'Encounter {mdtrtId} is "{state}"; cannot {action}',
  },
  INSURANCE_SETTLEMENT_MISMATCH: {
    status: 409,
    zh: '结算与预结算不一致（{detail}），请重新预结算',
    en: 'The settlement does not match its pre-settlement ({detail}); pre-settle again',
  },
  INSURANCE_REVERSAL_REFUSED: {
    status: 409,
    zh: '不能冲正：{reason}',
    en: 'Cannot reverse: {reason}',
  },
  INSURANCE_MSGID_REUSED: {
    status: 409,
    zh: '报文 ID {msgid} 已用于另一笔交易',
    en: 'Message id {msgid} was already used for another transaction',
  },
  INSURANCE_NO_POLICY: {
    status: 409,
    zh: '参保地 {region} 在 {date} 没有有效的医保政策',
    en: 'No policy of the place of insurance {region} is in force on {date}',
  },
  HOSPITAL_SIGNATURE_INVALID: {
    status: 401,
    zh: '医疗机构报文签名验证未通过（{reason}），交易未执行',
    en: 'The institution’s message signature failed verification ({reason}); nothing was done',
  },
  INSURANCE_BAD_ENVELOPE: {
    status: 400,
    zh: '交易报文有误：{detail}',
    en: 'The transaction envelope is invalid: {detail}',
  },
  OIDC_NOT_CONFIGURED: {
    status: 404,
    zh: '本节点未开通国家政务服务平台账号登录',
    en: 'This node does not offer logging in with the national account',
  },
  OIDC_LOGIN_EXPIRED: {
    status: 400,
    zh: '登录请求已过期或并非从本站发起，请重新点击“用国家政务服务平台账号登录”',
    en: 'The login request has expired or was not started on this site; start again with "Log in with the national account"',
  },
  OIDC_STATE_MISMATCH: {
    status: 400,
    zh: '登录回调与本浏览器发起的登录请求不符（state 不一致），已拒绝',
    en: 'The login callback does not match the login this browser started (state mismatch) and was refused',
  },
  OIDC_LOGIN_REFUSED: {
    status: 401,
    zh: '国家政务服务平台未完成登录：{reason}',
    en: 'The national platform did not complete the login: {reason}',
  },
  OIDC_CODE_REJECTED: {
    status: 401,
    zh: '授权码无效、已过期或已被使用，请重新登录',
    en: 'The authorization code is invalid, expired or already used; log in again',
  },
  OIDC_CLIENT_REJECTED: {
    status: 502,
    zh: '国家政务服务平台不认可本节点的客户端凭据（请管理员检查 YIBAN_OIDC_CLIENT_ID 与 YIBAN_OIDC_CLIENT_SECRET）',
    en: "The national platform refused this node's client credentials (the administrator should check YIBAN_OIDC_CLIENT_ID and YIBAN_OIDC_CLIENT_SECRET)",
  },
  OIDC_HUB_UNAVAILABLE: {
    status: 502,
    zh: '暂时无法连接国家政务服务平台，请稍后再试',
    en: 'The national platform cannot be reached at the moment; try again later',
  },
  OIDC_RESPONSE_INVALID: {
    status: 502,
    zh: '国家政务服务平台的应答无效：{reason}',
    en: "The national platform's answer is invalid: {reason}",
  },
  FEDERATION_DISABLED: {
    status: 404,
    zh: '本节点未加入跨省通办联邦（YIBAN_NODE_ROLE={role}）',
    en: 'This node is not part of a federation (YIBAN_NODE_ROLE={role})',
  },
  FEDERATION_NOT_HUB: {
    status: 404,
    zh: '本节点不是联邦中枢，没有成员目录',
    en: 'This node is not the federation hub and keeps no directory',
  },
  FEDERATION_CASE_REFUSED: {
    status: 422,
    zh: '跨省代收代办无法受理：{reason}',
    en: 'The cross-province case cannot be accepted: {reason}',
  },
  FEDERATION_UNKNOWN_MEMBER: {
    status: 403,
    zh: '联邦目录中没有已核准的成员 {member}，报文未处理',
    en: 'The federation directory has no approved member {member}; nothing was done',
  },
  FEDERATION_SIGNATURE_INVALID: {
    status: 401,
    zh: '跨省报文签名验证未通过（{reason}），报文未处理',
    en: 'The federation message signature failed verification ({reason}); nothing was done',
  },
  FEDERATION_BAD_MESSAGE: { status: 400, zh: '跨省报文有误：{detail}', en: 'The federation message is invalid: {detail}' },
  FEDERATION_UNKNOWN_TYPE: { status: 400, zh: '本节点不处理报文类型 {type}', en: 'This node handles no message type {type}' },
  FEDERATION_MESSAGE_CONFLICT: {
    status: 409,
    zh: '报文 ID {id} 已用于另一条内容不同的报文',
    en: 'Message id {id} was already used for a message with other content',
  },
  FEDERATION_HUB_NOT_PINNED: {
    status: 409,
    zh: '尚未固定联邦中枢的公钥：请先运行 yiban federation join',
    en: "The hub's key is not pinned yet: run yiban federation join first",
  },
  FEDERATION_DOCUMENT_INVALID: {
    status: 502,
    zh: '联邦中枢的签名文件未通过验证（{reason}），未采用',
    en: "The hub's signed document failed verification ({reason}) and was not used",
  },
  FEDERATION_JOIN_RATE_LIMITED: {
    status: 429,
    zh: '加入联邦的申请过于频繁，请 {seconds} 秒后再试',
    en: 'Too many requests to join the federation; try again in {seconds} s',
  },
  FEDERATION_MEMBER_REVOKED: {
    status: 403,
    zh: '成员 {member} 已被中枢撤销，不能再次申请',
    en: 'Member {member} was revoked by the hub and may not ask again',
  },
  FEDERATION_NOTHING_PENDING: {
    status: 409,
    zh: '成员 {member} 没有待审批的申请',
    en: 'Member {member} has no request waiting for approval',
  },
  FEDERATION_HUB_UNAVAILABLE: {
    status: 503,
    zh: '联邦中枢暂时无法访问（{reason}）',
    en: 'The federation hub cannot be reached ({reason})',
  },
  FEDERATION_PEER_UNAVAILABLE: {
    status: 503,
    zh: '跨省节点 {member} 暂时无法访问（{reason}），未办理，请稍后重试',
    en: 'The node {member} cannot be reached ({reason}); nothing was done, try again later',
  },
  FEDERATION_PEER_REFUSED: {
    status: 502,
    zh: '跨省节点 {member} 拒绝了请求（{code}）',
    en: 'The node {member} refused the request ({code})',
  },
  FOREIGN_STATUS_LIST_NOT_FOUND: {
    status: 404,
    zh: '联邦目录中没有成员发布这份状态列表（{list}）',
    en: 'No member in the federation directory publishes this status list ({list})',
  },
  FOREIGN_STATUS_ISSUER_UNREACHABLE: {
    status: 503,
    zh: '签发地平台 {member} 暂时无法连接，本节点也没有其仍有效的状态列表，请稍后再试',
    en: 'The issuing member {member} cannot be reached and this node holds no list of it that is still valid; try again later',
  },
  FOREIGN_STATUS_LIST_REFUSED: {
    status: 502,
    zh: '签发地平台 {member} 的状态列表未通过核验（{reason}）',
    en: 'The status list of the issuing member {member} did not pass the check ({reason})',
  },
  INSURANCE_REMOTE_UNAVAILABLE: {
    status: 503,
    zh: '参保地 {region} 的医保节点暂时无法访问（{reason}），未结算，请稍后用同一笔交易重试',
    en: 'The insurance node of the place of insurance {region} cannot be reached ({reason}); nothing was settled, retry the same transaction later',
  },
  INSURANCE_REGION_NOT_FEDERATED: {
    status: 404,
    zh: '参保地 {region} 所在省份没有医保节点在跨省通办联邦目录中，无法跨省办理，未办理；重试不会成功，请按参保地规定办理（如回参保地报销）',
    en: 'The province of the place of insurance {region} has no insurance node in the federation directory, so this cannot be done across provinces; nothing was done, and retrying will not help (claim at the place of insurance instead)',
  },
  INSURANCE_SETTLEMENT_ABANDONED: {
    status: 409,
    zh: '报文 {msgid} 的结算未完成，已在参保地撤回；请重新预结算，并用新的报文 ID 结算',
    en: 'The settlement of message {msgid} was not completed and has been withdrawn at the place of insurance; pre-settle and settle again with a new msgid',
  },
  EVIDENCE_PROVIDER_NOT_FOUND: {
    status: 404,
    zh: '联邦目录中没有能提供 {type} 电子证照的外省节点（{region}）',
    en: 'No other province in the federation directory provides {type} e-licences ({region})',
  },
  EVIDENCE_NOT_PENDING: {
    status: 409,
    zh: '该外省证照不在待确认状态（当前：{state}），无法确认或拒绝',
    en: 'This evidence is not awaiting your preview (it is {state}); it cannot be accepted or refused',
  },
  NOT_IMPLEMENTED: { status: 501, zh: '尚未实现：{what}', en: 'Not implemented yet: {what}' },
  DATABASE_BUSY: { status: 503, zh: '系统繁忙，请稍后再试', en: 'The system is busy; please try again' },
  INTERNAL: { status: 500, zh: '系统内部错误', en: 'Internal error' },
  MASTER_KEY_MISMATCH: {
    status: 500,
    zh: '主密钥与数据库不符：数据库中的数据是用另一把主密钥加密的（主密钥指纹 {expected}，本进程为 {actual}）。请使用该数据库原来的 master.key 或 YIBAN_MASTER_KEY；更换主密钥请用 yiban keys rotate-master',
    en: 'Wrong master key: the data in this database is encrypted under another master key (fingerprint {expected}, this process has {actual}). Use the master.key or YIBAN_MASTER_KEY this database was set up with; to change the key, run yiban keys rotate-master',
  },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Message parameters: plain, or worded in each language (a pair from the catalogue, src/core/messages.ts). */
export type ErrorParams = MessageParams;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  readonly details: unknown;

  constructor(code: ErrorCode, params: ErrorParams = {}, details?: unknown) {
    super(formatMessage(code, params, 'en'));
    this.name = 'AppError';
    this.code = code;
    this.params = params;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function formatMessage(code: ErrorCode, params: ErrorParams, lang: Lang): string {
  const template = lang === 'en' ? ERROR_CODES[code].en : ERROR_CODES[code].zh;
  const what = params.what;
  const named = typeof what === 'string' && Object.hasOwn(NOUNS, what) ? { ...params, what: NOUNS[what as Noun] } : params;
  return fillTemplate(template, named, lang === 'en' ? 'en' : 'zh');
}

/** Picks zh-CN unless the caller prefers English before Chinese. */
export function pickLang(acceptLanguage: string | undefined): Lang {
  if (!acceptLanguage) return 'zh-CN';
  const prefs = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...rest] = part.trim().toLowerCase().split(';');
      const q = rest.map((r) => r.trim()).find((r) => r.startsWith('q='));
      return { tag, q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((p) => p.tag.startsWith('zh') || p.tag.startsWith('en'))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return prefs[0]?.tag.startsWith('en') ? 'en' : 'zh-CN';
}

export const notFound = (what: Noun): AppError => new AppError('NOT_FOUND', { what });
