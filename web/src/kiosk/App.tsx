import { useCallback, useEffect, useRef, useState } from 'react';
import { createApi, type Certificate } from '../shared/api.ts';
import { documentLang, LangSwitch, useI18n } from '../shared/i18n.tsx';
import { createSessionStore } from '../shared/session.ts';

// A shared device: the session is a browser-session cookie, the account shown lives in this
// page's memory only, and no choice is remembered. A page (re)loaded with nobody shown ends
// whatever session the cookie may still hold from before.
const session = createSessionStore('yiban.kiosk', 'memory');
const api = createApi({ lang: documentLang, account: () => session.get()?.account.id ?? null, onUnauthorized: () => session.clear() });
void api.logout().catch(() => undefined);

/** Seconds of inactivity before the kiosk logs out; `?idle=N` shortens it for demos and tests. */
function idleSeconds(): number {
  const n = Number(new URLSearchParams(location.search).get('idle'));
  return Number.isFinite(n) && n >= 5 && n <= 600 ? n : 90;
}

function Login() {
  const { t } = useI18n();
  const [residentId, setResidentId] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(false);
  const [delivery, setDelivery] = useState<'sms' | 'console' | null>(null);
  const [minutes, setMinutes] = useState(5);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async () => {
    setError(null);
    setBusy(true);
    try {
      const r = await api.kioskCode(residentId.trim());
      setSent(true);
      setDelivery(r.delivery);
      setMinutes(Math.max(1, Math.round(r.expiresInSeconds / 60)));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const login = async () => {
    setError(null);
    setBusy(true);
    try {
      const r = await api.kioskLogin(residentId.trim(), code.trim());
      session.set({ account: r.account });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="ks-login">
      <h2>{t('身份证号 + 短信验证码登录', 'Log in with your ID number and a text-message code')}</h2>
      <label className="ks-label" htmlFor="ks-id">
        {t('居民身份证号', 'Resident ID number')}
      </label>
      <input
        id="ks-id"
        className="ks-input"
        value={residentId}
        onChange={(e) => setResidentId(e.target.value.toUpperCase())}
        maxLength={18}
        autoComplete="off"
        inputMode="text"
      />
      {!sent ? (
        <button type="button" className="ks-primary" disabled={busy || residentId.trim().length < 15} onClick={() => void send()}>
          {t('获取验证码', 'Send me a code')}
        </button>
      ) : (
        <>
          <label className="ks-label" htmlFor="ks-code">
            {t('6 位验证码', '6-digit code')}
          </label>
          <input
            id="ks-code"
            className="ks-input ks-code"
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
            maxLength={6}
            inputMode="numeric"
            autoComplete="one-time-code"
          />
          <p className="ks-sent" role="status" data-testid="code-sent">
            {t(`验证码已发送至您的手机，${minutes} 分钟内有效。`, `Code sent to your phone; it is valid for ${minutes} minutes.`)}
          </p>
          {delivery === 'console' && (
            <p className="ks-demo" data-testid="demo-console">
              {t(
                '演示模式：不发送短信，验证码显示在服务器控制台（运行 npm start 的终端）中。',
                'Demo mode: no text message is sent; the code is shown on the server console (the terminal running npm start).',
              )}
            </p>
          )}
          <button type="button" className="ks-primary" disabled={busy || code.length !== 6} onClick={() => void login()}>
            {t('登录', 'Log in')}
          </button>
        </>
      )}
      {error && (
        <p className="ks-error" role="alert">
          {error}
        </p>
      )}
      <p className="ks-hint">
        {t(
          '本机为公共设备：不保存任何信息，无操作将自动退出。',
          'This is a shared device: nothing is kept, and it logs out by itself when left alone.',
        )}
      </p>
    </main>
  );
}

function Home({ onLogout, left }: { onLogout: () => void; left: number }) {
  const { t, pick } = useI18n();
  const me = session.use();
  const [certs, setCerts] = useState<Certificate[] | null>(null);
  const [printing, setPrinting] = useState<string | null>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    api.myCertificates().then(
      (p) => setCerts(p.items),
      () => setCerts([]),
    );
  }, []);
  const print = async (c: Certificate) => {
    setPrinting(c.id);
    try {
      const blob = await api.certificatePdf(c.id);
      const url = URL.createObjectURL(blob);
      const f = frame.current;
      if (f) {
        f.onload = () => {
          f.contentWindow?.print();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
        };
        f.src = url;
      }
    } finally {
      setPrinting(null);
    }
  };
  return (
    <main className="ks-home">
      <div className="ks-bar">
        <span className="ks-who">{t(`${me?.account.name ?? ''}，您好`, `Hello, ${me?.account.name ?? ''}`)}</span>
        <span className="ks-countdown" role="timer" aria-live="polite" data-testid="countdown">
          {t(`${left} 秒后自动退出`, `Logging out in ${left} s`)}
        </span>
        <button type="button" className="ks-secondary" onClick={onLogout}>
          {t('退出', 'Log out')}
        </button>
      </div>
      <h2>{t('我的电子证明', 'My certificates')}</h2>
      {certs?.length === 0 && <p className="ks-hint">{t('暂无电子证明', 'No certificates yet')}</p>}
      <div className="ks-grid">
        {certs?.map((c) => (
          <div key={c.id} className={`ks-cert ${c.status !== 'active' ? 'ks-cert-off' : ''}`}>
            <div className="ks-cert-name">{pick(c.typeName)}</div>
            <div>{c.issuer.name}</div>
            <div>{c.status === 'active' ? t('有效', 'Valid') : t('已撤销', 'Revoked')}</div>
            <button
              type="button"
              className="ks-primary"
              disabled={c.status !== 'active' || printing === c.id}
              onClick={() => void print(c)}
            >
              {t('打印', 'Print')}
            </button>
          </div>
        ))}
      </div>
      <iframe ref={frame} title={t('打印', 'Print')} className="ks-print-frame" />
    </main>
  );
}

export function KioskApp() {
  const { t, setLang } = useI18n();
  const me = session.use();
  const limit = idleSeconds();
  const [left, setLeft] = useState(limit);
  const lastActive = useRef(Date.now());

  const logout = useCallback(async () => {
    await api.logout().catch(() => undefined);
    session.clear();
    setLang('zh');
  }, [setLang]);

  useEffect(() => {
    if (!me) return;
    lastActive.current = Date.now();
    setLeft(limit);
    const touch = () => (lastActive.current = Date.now());
    const events = ['pointerdown', 'keydown', 'touchstart', 'wheel'] as const;
    for (const e of events) window.addEventListener(e, touch, { passive: true });
    const timer = setInterval(() => {
      const remaining = Math.max(0, limit - Math.floor((Date.now() - lastActive.current) / 1000));
      setLeft(remaining);
      if (remaining === 0) void logout();
    }, 250);
    return () => {
      clearInterval(timer);
      for (const e of events) window.removeEventListener(e, touch);
    };
  }, [me, limit, logout]);

  return (
    <div className="ks">
      <header className="ks-header">
        <div className="ks-brand">
          <span className="ks-logo" aria-hidden="true">
            一
          </span>
          <div>
            <h1>{t('一办 · 政务服务自助终端', 'Yiban self-service kiosk')}</h1>
            <div className="ks-sub">{t('证明查询与打印', 'Look up and print your certificates')}</div>
          </div>
        </div>
        <LangSwitch className="ks-lang" />
      </header>
      {me ? <Home onLogout={() => void logout()} left={left} /> : <Login />}
    </div>
  );
}
