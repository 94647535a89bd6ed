/**
 * The hub's sign-in pages for OpenID Connect (login, consent, error): plain HTML forms, no
 * script (the CSP allows none inline), Chinese first with English beside it.
 */

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const STYLE = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem;color:#1f1f1f}
h1{font-size:1.3rem}p.en,span.en{color:#666;font-size:.9em}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem}button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}
.error{background:#fff1f0;border:1px solid #ffa39e;padding:.6rem;border-radius:4px}ul{padding-left:1.2rem}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export interface PageError {
  zh: string;
  en: string;
}

const errorBox = (error?: PageError) =>
  error ? `<p class="error" role="alert">${escape(error.zh)}<br><span class="en">${escape(error.en)}</span></p>` : '';

export function renderLoginPage(input: { uid: string; clientName: string; error?: PageError; residentIdOrPhone?: string }): string {
  const action = `/oidc/interaction/${encodeURIComponent(input.uid)}`;
  return page(
    '国家政务服务平台登录 National account login',
    `<h1>国家政务服务平台统一身份认证</h1><p class="en">National platform: one identity</p>
<p>${escape(input.clientName)} 请求您登录。<span class="en">${escape(input.clientName)} asks you to log in.</span></p>
${errorBox(input.error)}
<form method="post" action="${action}/login">
<label for="account">身份证号或手机号 <span class="en">ID number or mobile number</span></label>
<input id="account" name="residentIdOrPhone" autocomplete="username" required maxlength="64" value="${escape(input.residentIdOrPhone ?? '')}">
<label for="password">密码 <span class="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128">
<button type="submit">登录 Log in</button>
</form>
<form method="post" action="${action}/abort"><button type="submit">取消 Cancel</button></form>`,
  );
}

const SCOPE_TEXT: Record<string, PageError> = {
  openid: { zh: '您在本平台的账号标识', en: 'your account identifier on this platform' },
  yiban_realname: { zh: '实名信息：姓名与居民身份证号码', en: 'your real name and resident ID number' },
  phone: { zh: '手机号码', en: 'your mobile number' },
};

export function renderConsentPage(input: { uid: string; clientName: string; scopes: string[] }): string {
  const action = `/oidc/interaction/${encodeURIComponent(input.uid)}`;
  const items = input.scopes
    .map((s) => SCOPE_TEXT[s] ?? { zh: s, en: s })
    .map((t) => `<li>${escape(t.zh)} <span class="en">${escape(t.en)}</span></li>`)
    .join('');
  return page(
    '授权 Consent',
    `<h1>授权确认</h1><p class="en">Consent</p>
<p>${escape(input.clientName)} 将获得：<span class="en">${escape(input.clientName)} will receive:</span></p><ul>${items}</ul>
<form method="post" action="${action}/confirm"><button type="submit">同意并继续 Allow and continue</button></form>
<form method="post" action="${action}/abort"><button type="submit">拒绝 Deny</button></form>`,
  );
}

export function renderErrorPage(input: { error: string; description?: string | undefined }): string {
  return page(
    '登录出错 Login error',
    `<h1>无法完成登录</h1><p class="en">The login cannot be completed</p>
<p class="error" role="alert"><code>${escape(input.error)}</code>${input.description ? `：${escape(input.description)}` : ''}</p>
<p>请返回原网站重新登录。<span class="en">Go back to the site you came from and start again.</span></p>`,
  );
}
