import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import type { StatusEvidence, VerificationResult } from '../../../src/verify/verify-certificate.ts';
import { loadTrust, refreshStatusLists, verifyInput, type Input, type TrustState } from './verifier.ts';
import type { ScanHandle } from './scanner.ts';
import { CHECK_NAMES, FIELD_LABELS, checkWord, formatTime, summary } from './result-text.ts';

type Tab = 'paste' | 'pdf' | 'scan';

function initialText(): string {
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (fromHash.startsWith('YB1.')) return fromHash;
  return new URLSearchParams(location.search).get('q') ?? '';
}

export function App() {
  const { t, pick } = useI18n();
  const [tab, setTab] = useState<Tab>('paste');
  const [text, setText] = useState(initialText);
  const [trust, setTrust] = useState<TrustState | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<VerificationResult | null>(null);
  const [status, setStatus] = useState<StatusEvidence>({});
  const [scanError, setScanError] = useState<string | null>(null);
  const [online, setOnline] = useState(() => navigator.onLine);
  const videoRef = useRef<HTMLVideoElement>(null);
  const scanRef = useRef<ScanHandle | null>(null);
  const resultRef = useRef<HTMLElement>(null);

  useEffect(() => {
    void loadTrust().then(setTrust);
    // Today's status lists, kept by the service worker for checks made offline later.
    if (navigator.onLine) void refreshStatusLists();
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);

  async function run(input: Input) {
    setBusy(true);
    setResult(null);
    try {
      const state = trust ?? (await loadTrust());
      setTrust(state);
      const outcome = await verifyInput(input, state.anchors);
      setStatus(outcome.status);
      setResult(outcome.result);
    } finally {
      setBusy(false);
      setTimeout(() => resultRef.current?.focus(), 0);
    }
  }

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    await run({ kind: 'pdf', bytes: new Uint8Array(await file.arrayBuffer()) });
  }

  async function startCamera() {
    setScanError(null);
    if (!videoRef.current) return;
    try {
      const { startScan } = await import('./scanner.ts');
      scanRef.current = await startScan(
        videoRef.current,
        (scanned) => {
          scanRef.current?.stop();
          scanRef.current = null;
          setText(scanned);
          setTab('paste');
          void run({ kind: 'text', text: scanned });
        },
        () => undefined,
      );
    } catch {
      setScanError(
        t(
          '无法打开摄像头：请允许使用摄像头，或改用粘贴、上传 PDF。',
          'The camera could not be opened: allow camera access, or paste the code or upload the PDF.',
        ),
      );
    }
  }

  useEffect(() => {
    if (tab !== 'scan') {
      scanRef.current?.stop();
      scanRef.current = null;
    }
  }, [tab]);

  const tabs: { id: Tab; zh: string; en: string }[] = [
    { id: 'paste', zh: '粘贴内容', en: 'Paste' },
    { id: 'pdf', zh: '上传 PDF', en: 'Upload PDF' },
    { id: 'scan', zh: '扫码', en: 'Scan' },
  ];

  return (
    <div className="vf">
      <header className="vf-header">
        <div className="vf-brand">
          <span className="vf-logo" aria-hidden="true">
            一
          </span>
          <div>
            <div className="vf-title">{t('电子证明核验', 'Certificate verification')}</div>
            <div className="vf-sub">{t('一办 · 政务服务平台', 'Yiban government services')}</div>
          </div>
        </div>
        <LangSwitch />
      </header>

      <main className="vf-main">
        <p className="vf-lead">
          {t(
            '扫描或粘贴电子证明上的二维码，或上传证明 PDF，即可核验其真伪与当前状态。核验在您的设备上完成，无需登录。',
            'Scan or paste the QR code on an e-certificate, or upload its PDF, to check that it is genuine and still valid. Checking happens on your device; no login needed.',
          )}
        </p>
        {!online && (
          <div className="vf-note" role="status">
            {t('当前离线：使用已保存的信任锚和状态列表进行核验。', 'Offline: using the saved trust anchors and status lists.')}
          </div>
        )}

        <section className="vf-card" aria-label={t('核验方式', 'How to verify')}>
          <div className="vf-tabs" role="tablist">
            {tabs.map((item) => (
              <button
                key={item.id}
                type="button"
                role="tab"
                aria-selected={tab === item.id}
                className={tab === item.id ? 'vf-tab vf-tab-on' : 'vf-tab'}
                onClick={() => setTab(item.id)}
              >
                {t(item.zh, item.en)}
              </button>
            ))}
          </div>

          {tab === 'paste' && (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                void run({ kind: 'text', text });
              }}
            >
              <label htmlFor="vf-text" className="vf-label">
                {t('二维码内容（以 YB1. 开头）或证明包 JSON', 'QR text (starts with YB1.) or bundle JSON')}
              </label>
              <textarea
                id="vf-text"
                className="vf-text"
                value={text}
                onChange={(e) => setText(e.target.value)}
                rows={5}
                spellCheck={false}
                placeholder="YB1.…"
              />
              <button type="submit" className="vf-primary" disabled={busy || text.trim() === ''}>
                {busy ? t('正在核验…', 'Checking…') : t('核验', 'Verify')}
              </button>
            </form>
          )}

          {tab === 'pdf' && (
            <div>
              <label htmlFor="vf-file" className="vf-upload">
                <span className="vf-upload-big">{t('选择证明 PDF 文件', 'Choose the certificate PDF')}</span>
                <span className="vf-upload-small">{t('文件不会上传到服务器', 'The file is not uploaded anywhere')}</span>
              </label>
              <input id="vf-file" className="yb-sr-only" type="file" accept="application/pdf,.pdf" onChange={(e) => void onFile(e)} />
            </div>
          )}

          {tab === 'scan' && (
            <div className="vf-scan">
              <video ref={videoRef} className="vf-video" muted playsInline aria-label={t('摄像头画面', 'Camera view')} />
              <button type="button" className="vf-primary" onClick={() => void startCamera()}>
                {t('打开摄像头', 'Open the camera')}
              </button>
              {scanError && <p className="vf-error">{scanError}</p>}
            </div>
          )}
        </section>

        {result && (
          <section
            ref={resultRef}
            tabIndex={-1}
            className={`vf-card vf-result vf-${result.verdict.toLowerCase()}`}
            aria-live="polite"
            data-testid="verdict"
            data-verdict={result.verdict}
          >
            <div className="vf-verdict">
              <span className="vf-verdict-icon" aria-hidden="true">
                {result.verdict === 'VALID' ? '✓' : result.verdict === 'INVALID' ? '✕' : '?'}
              </span>
              <div>
                <div className="vf-verdict-word">
                  {result.verdict === 'VALID'
                    ? t('证明有效', 'Valid')
                    : result.verdict === 'INVALID'
                      ? t('证明无效', 'Not valid')
                      : t('无法确定', 'Cannot be determined')}
                  <span className="vf-verdict-code"> {result.verdict}</span>
                </div>
                <div className="vf-verdict-why">{summary(result, pick, t)}</div>
              </div>
            </div>

            {result.certificate && (
              <dl className="vf-fields">
                <dt>{t('证明名称', 'Certificate')}</dt>
                <dd>{pick(result.certificate.typeName)}</dd>
                <dt>{t('持有人', 'Holder')}</dt>
                <dd>
                  {result.certificate.holder.name} {result.certificate.holder.residentIdMasked}
                </dd>
                <dt>{t('出具机关', 'Issued by')}</dt>
                <dd>{result.certificate.issuer.name}</dd>
                <dt>{t('出具时间', 'Issued at')}</dt>
                <dd>{formatTime(result.certificate.issuedAt)}</dd>
                {result.certificate.validUntil && (
                  <>
                    <dt>{t('有效期至', 'Valid until')}</dt>
                    <dd>{formatTime(result.certificate.validUntil)}</dd>
                  </>
                )}
                {result.certificate.fields.map((f) => (
                  <div key={f.name} className="vf-field">
                    <dt>{FIELD_LABELS[f.name] ? pick(FIELD_LABELS[f.name]!) : f.name}</dt>
                    <dd>{f.value}</dd>
                  </div>
                ))}
                <dt>{t('证照标识', 'Identifier')}</dt>
                <dd className="vf-mono">{result.certificate.id}</dd>
              </dl>
            )}

            <StatusListAge status={status} />

            <details className="vf-checks">
              <summary>{t('各项检查', 'All checks')}</summary>
              <ul>
                {result.checks.map((c) => (
                  <li key={c.check} className={`vf-check vf-check-${c.result}`}>
                    <span>{pick(CHECK_NAMES[c.check])}</span>
                    <span>{checkWord(c, pick, t)}</span>
                  </li>
                ))}
              </ul>
            </details>
          </section>
        )}

        <footer className="vf-foot">
          {trust?.source === 'pinned'
            ? t('信任锚：本设备保存的副本', 'Trust anchors: the copy saved on this device')
            : trust?.source === 'network'
              ? t('信任锚：已从出具平台获取并保存在本设备', 'Trust anchors: fetched from the issuing platform and saved on this device')
              : t('尚未获取信任锚', 'No trust anchors yet')}
        </footer>
      </main>
    </div>
  );
}

/** How old the signed status lists are (when each was signed), and until when they count. */
function StatusListAge({ status }: { status: StatusEvidence }) {
  const { t } = useI18n();
  const signed = [...(status.lists ?? []), ...(status.problems ?? []).filter((p) => p.validFrom && p.validUntil)] as {
    validFrom: string;
    validUntil: string;
  }[];
  if (signed.length === 0) return null;
  const oldest = signed.reduce((a, b) => (Date.parse(a.validFrom) <= Date.parse(b.validFrom) ? a : b));
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(oldest.validFrom)) / 60_000));
  const age =
    minutes < 60
      ? t(`${minutes} 分钟前`, `${minutes} min ago`)
      : t(`${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分钟前`, `${Math.floor(minutes / 60)} h ${minutes % 60} min ago`);
  const expired = Date.parse(oldest.validUntil) < Date.now();
  return (
    <p className="vf-note" data-testid="status-age" data-expired={expired}>
      {t(
        `状态列表：平台签发于 ${formatTime(oldest.validFrom)}（${age}），`,
        `Status lists: signed by the platform ${formatTime(oldest.validFrom)} (${age}), `,
      )}
      {expired
        ? t(
            `已于 ${formatTime(oldest.validUntil)} 过期，请联网后重新核验。`,
            `expired ${formatTime(oldest.validUntil)}; go online and check again.`,
          )
        : t(`有效至 ${formatTime(oldest.validUntil)}。`, `valid until ${formatTime(oldest.validUntil)}.`)}
    </p>
  );
}
