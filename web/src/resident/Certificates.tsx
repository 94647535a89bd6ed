import { Button, Dialog, DotLoading, Empty, List, Mask, NoticeBar, Result, Space, Tag, Toast } from 'antd-mobile';
import { useEffect, useRef, useState } from 'react';
import type { Certificate } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate } from './context.ts';

export function StatusTag({ status }: { status: Certificate['status'] }) {
  const { t } = useI18n();
  if (status === 'active') return <Tag color="success">{t('有效', 'Valid')}</Tag>;
  if (status === 'revoked') return <Tag color="danger">{t('已撤销', 'Revoked')}</Tag>;
  return <Tag color="warning">{t('已挂起', 'Suspended')}</Tag>;
}

export function CertificateList() {
  const { t, pick, lang } = useI18n();
  const [items, setItems] = useState<Certificate[] | null>(null);
  // Certificates other provinces issued (全程网办 / 异地代收), as they came back sealed.
  const [foreign, setForeign] = useState<Awaited<ReturnType<typeof api.foreignCertificates>>>([]);
  useEffect(() => {
    api
      .myCertificates()
      .then((p) => setItems(p.items))
      .catch((e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
    api
      .foreignCertificates()
      .then(setForeign)
      .catch(() => setForeign([]));
  }, []);
  if (!items)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  if (items.length === 0 && foreign.length === 0) return <Empty description={t('还没有电子证明', 'No certificates yet')} />;
  return (
    <div className="rs-page">
      {items.map((c) => (
        <button
          key={c.id}
          type="button"
          className={`rs-cert ${c.status !== 'active' ? 'rs-cert-off' : ''}`}
          onClick={() => navigate(`/certs/${c.id}`)}
        >
          <div className="rs-cert-top">
            <span className="rs-cert-name">{pick(c.typeName)}</span>
            <StatusTag status={c.status} />
          </div>
          <div className="rs-cert-issuer">{c.issuer.name}</div>
          <div className="rs-cert-date">
            {t('出具日期', 'Issued')} {formatDate(c.issuedAt, lang)}
          </div>
        </button>
      ))}
      {foreign.map((c) => (
        <button key={c.crossCaseId} type="button" className="rs-cert" onClick={() => navigate('/cross')} data-testid="foreign-cert">
          <div className="rs-cert-top">
            <span className="rs-cert-name">{c.serviceCode}</span>
            <Tag color="primary">{t('他省签发', 'Other province')}</Tag>
          </div>
          <div className="rs-cert-issuer">{c.issuerName}</div>
          <div className="rs-cert-date">
            {t('出具日期', 'Issued')} {formatDate(c.issuedAt, lang)}
          </div>
        </button>
      ))}
    </div>
  );
}

function QrFull({ id, onClose }: { id: string; onClose: () => void }) {
  const { t } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void (async () => {
      const [{ qr }, QRCode] = await Promise.all([api.certificateQr(id), import('qrcode')]);
      if (!live) return;
      setText(qr);
      if (canvas.current)
        await QRCode.toCanvas(canvas.current, qr, { errorCorrectionLevel: 'L', margin: 2, width: Math.min(window.innerWidth - 32, 560) });
    })().catch((e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
    return () => {
      live = false;
    };
  }, [id]);
  return (
    <Mask visible opacity={0.92} onMaskClick={onClose}>
      <div className="rs-qr" role="dialog" aria-label={t('证明二维码', 'Certificate QR code')}>
        <canvas ref={canvas} data-testid="qr-canvas" aria-label={t('二维码', 'QR code')} />
        <p>{t('请出示给核验人员扫描', 'Show this to the person checking')}</p>
        <textarea readOnly className="yb-sr-only" data-testid="qr-text" value={text ?? ''} aria-label={t('二维码内容', 'QR text')} />
        <Button color="primary" size="large" onClick={onClose}>
          {t('关闭', 'Close')}
        </Button>
      </div>
    </Mask>
  );
}

export function CertificateView({ id }: { id: string }) {
  const { t, pick, lang } = useI18n();
  const [c, setC] = useState<Certificate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [qr, setQr] = useState(false);
  const [downloading, setDownloading] = useState(false);
  useEffect(() => {
    api
      .certificate(id)
      .then(setC)
      .catch((e: unknown) => setError(errorText(e)));
  }, [id]);
  if (error) return <Result status="error" title={error} />;
  if (!c)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );

  const download = async () => {
    setDownloading(true);
    try {
      const blob = await api.certificatePdf(c.id);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${c.typeName.zh}-${c.identifier}.pdf`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setDownloading(false);
    }
  };

  const share = async () => {
    try {
      const s = await api.createShare(c.id, 72);
      const url = s.url ?? `${location.origin}/api/shared/${s.token ?? ''}`;
      try {
        await navigator.clipboard.writeText(url);
      } catch {
        // clipboard not allowed: the link is shown below
      }
      await Dialog.alert({
        title: t('分享链接（72 小时内有效）', 'Share link (valid for 72 hours)'),
        content: (
          <div className="rs-share" data-testid="share-url">
            {url}
          </div>
        ),
        confirmText: t('知道了', 'OK'),
      });
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    }
  };

  const active = c.status === 'active';
  return (
    <div className="rs-page">
      <div className={`rs-cert rs-cert-big ${active ? '' : 'rs-cert-off'}`}>
        <div className="rs-cert-top">
          <span className="rs-cert-name">{pick(c.typeName)}</span>
          <span data-testid="cert-status" data-status={c.status}>
            <StatusTag status={c.status} />
          </span>
        </div>
        <div className="rs-cert-issuer">{c.issuer.name}</div>
        <div className="rs-cert-date">{c.identifier}</div>
      </div>
      {!active && (
        <NoticeBar
          color="alert"
          wrap
          content={`${t('此证明已撤销，不能再使用', 'This certificate has been revoked and can no longer be used')}${c.statusReason ? `：${c.statusReason}` : ''}`}
        />
      )}
      <List header={t('证明内容', 'Contents')}>
        <List.Item extra={`${c.holder.name} ${c.holder.residentIdMasked}`}>{t('持有人', 'Holder')}</List.Item>
        {c.fields
          .filter((f) => f.name !== 'holderName' && f.name !== 'residentIdMasked')
          .map((f) => (
            <List.Item key={f.name} extra={<span className="rs-wrap">{f.value}</span>}>
              {lang === 'zh' ? f.labelZh : f.labelEn}
            </List.Item>
          ))}
        <List.Item extra={formatDate(c.issuedAt, lang)}>{t('出具日期', 'Issued')}</List.Item>
        {c.validUntil && <List.Item extra={formatDate(c.validUntil, lang)}>{t('有效期至', 'Valid until')}</List.Item>}
      </List>
      <Space direction="vertical" block style={{ padding: 16, '--gap': '12px' }}>
        <Button block color="primary" size="large" onClick={() => setQr(true)} disabled={!active}>
          {t('出示二维码', 'Show QR code')}
        </Button>
        <Button block size="large" onClick={() => void download()} loading={downloading}>
          {t('下载 PDF', 'Download PDF')}
        </Button>
        <Button block size="large" onClick={() => void share()} disabled={!active}>
          {t('分享限时链接', 'Share a time-limited link')}
        </Button>
      </Space>
      {qr && <QrFull id={c.id} onClose={() => setQr(false)} />}
    </div>
  );
}
