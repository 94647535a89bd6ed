import { App as AntApp, Button, Card, Descriptions, Empty, Image, Space, Spin, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { OrgSeal, RegisteredSignature } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime, orgsFor, session } from './context.ts';
import { OrgPicker } from './OrgPicker.tsx';

const MAX_BYTES = 200 * 1024;

const SIGNATURE_STATUS: Record<RegisteredSignature['status'], { zh: string; en: string; color: string }> = {
  pending: { zh: '待备案', en: 'Pending', color: 'gold' },
  active: { zh: '已备案（使用中）', en: 'Registered (in use)', color: 'green' },
  retired: { zh: '已停用', en: 'Retired', color: 'default' },
};

const ALGORITHM_TEXT: Record<string, { zh: string; en: string }> = {
  SM2: { zh: 'SM2（国密，SM3 摘要）', en: 'SM2 (with SM3)' },
  Ed25519: { zh: 'Ed25519', en: 'Ed25519' },
};

function readPng(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(file);
  });
}

/** 电子印章与手签备案: the org's seal and its certificate; reviewers file signatures, administrators activate them. */
export function Seals() {
  const { t, pick, lang } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const roots = orgsFor(me, 'seal.view');
  const activator = orgsFor(me, 'signature.activate').length > 0;
  // The org of one's own signature: where one approves cases.
  const signerOrg = orgsFor(me, 'signature.upload')[0];
  const [orgCode, setOrgCode] = useState<string | undefined>(signerOrg ?? roots[0]);
  const [seal, setSeal] = useState<OrgSeal | null>(null);
  const [sealError, setSealError] = useState<string | null>(null);
  const [signatures, setSignatures] = useState<RegisteredSignature[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!orgCode) return;
    setSeal(null);
    setSealError(null);
    api.orgSeal(orgCode).then(setSeal, (e: unknown) => setSealError(errorText(e)));
  }, [orgCode]);

  const loadSignatures = useCallback(() => {
    api.signatures().then(
      (r) => setSignatures(r.items),
      (e: unknown) => {
        setSignatures([]);
        void message.error(errorText(e));
      },
    );
  }, [message]);
  useEffect(() => {
    loadSignatures();
    if (me) setNames((n) => ({ ...n, [me.account.id]: me.account.name }));
    // Administrators see who filed each signature through their staff list.
    for (const code of orgsFor(me, 'staff.manage')) {
      api.staff(code).then(
        (p) => setNames((n) => ({ ...n, ...Object.fromEntries(p.items.map((s) => [s.accountId, s.name])) })),
        () => undefined,
      );
    }
  }, [loadSignatures]);

  const upload = async (file: File | undefined) => {
    if (!file) return;
    if (file.type !== 'image/png' || file.size > MAX_BYTES) {
      void message.error(t('请选择 200 KB 以内的 PNG 图片', 'Choose a PNG of at most 200 KB'));
      return;
    }
    setBusy('upload');
    try {
      await api.uploadSignature(await readPng(file));
      void message.success(
        t('手签已上传，待乡镇管理员备案后生效', 'Uploaded: it takes effect once your township administrator registers it'),
      );
      loadSignatures();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(null);
      if (fileRef.current) fileRef.current.value = '';
    }
  };

  const activate = async (id: string) => {
    setBusy(id);
    try {
      await api.activateSignature(id);
      void message.success(t('已备案，此后出具的证明使用该手签', 'Registered: certificates from now on carry this signature'));
      loadSignatures();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const active = seal?.keys.find((k) => k.status === 'active');
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={t('电子印章', 'Electronic seal')}
        variant="borderless"
        extra={<OrgPicker roots={roots} value={orgCode} onChange={(code) => setOrgCode(code)} label={t('选择单位', 'Organisation')} />}
      >
        {sealError ? (
          <Empty description={sealError} />
        ) : !seal ? (
          <Spin />
        ) : (
          <div className="cs-seal-card">
            <img
              className="cs-seal-image"
              src={seal.image}
              alt={t(`${seal.orgName}电子印章印模`, `Seal of ${seal.orgName}`)}
              data-testid="seal-image"
              width={180}
              height={180}
            />
            {active ? (
              <Descriptions column={1} size="small" bordered className="cs-seal-facts" data-testid="seal-key">
                <Descriptions.Item label={t('用章单位', 'Organisation')}>{seal.orgName}</Descriptions.Item>
                <Descriptions.Item label={t('密钥标识', 'Key ID')}>
                  <Typography.Text code copyable>
                    {active.keyId}
                  </Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('算法', 'Algorithm')}>
                  {ALGORITHM_TEXT[active.algorithm] ? pick(ALGORITHM_TEXT[active.algorithm]!) : active.algorithm}
                </Descriptions.Item>
                <Descriptions.Item label={t('证书有效期', 'Certificate validity')}>
                  <span data-testid="seal-validity">
                    {formatDateTime(active.notBefore, lang)} — {formatDateTime(active.notAfter, lang)}
                  </span>{' '}
                  {new Date(active.notAfter) > new Date() ? (
                    <Tag color="green">{t('有效', 'Valid')}</Tag>
                  ) : (
                    <Tag color="red">{t('已过期', 'Expired')}</Tag>
                  )}
                </Descriptions.Item>
                <Descriptions.Item label={t('证书主体', 'Subject')}>{active.subject}</Descriptions.Item>
                <Descriptions.Item label={t('签发机构', 'Issuer')}>{active.issuer}</Descriptions.Item>
                <Descriptions.Item label={t('证书序列号', 'Serial')}>
                  <Typography.Text code>{active.serial}</Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('SHA-256 指纹', 'SHA-256 fingerprint')}>
                  <Typography.Text code className="cs-break">
                    {active.fingerprint}
                  </Typography.Text>
                </Descriptions.Item>
                {seal.keys.length > 1 && (
                  <Descriptions.Item label={t('历史密钥', 'Earlier keys')}>
                    {seal.keys
                      .filter((k) => k !== active)
                      .map((k) => k.keyId.slice(0, 12))
                      .join('、')}
                  </Descriptions.Item>
                )}
              </Descriptions>
            ) : (
              <Empty
                description={t(
                  '尚未生成印章密钥：本单位首次出具电子证明时自动生成并由平台根证书签发。',
                  'No seal key yet: it is created, certified by the platform root, when this organisation issues its first certificate.',
                )}
              />
            )}
          </div>
        )}
      </Card>

      <Card
        title={t('手签备案', 'Registered signatures')}
        variant="borderless"
        extra={
          signerOrg && (
            <>
              <input
                ref={fileRef}
                type="file"
                accept="image/png"
                hidden
                data-testid="signature-file"
                aria-label={t('选择手签图片', 'Choose a signature image')}
                onChange={(e) => void upload(e.target.files?.[0])}
              />
              <Button type="primary" loading={busy === 'upload'} onClick={() => fileRef.current?.click()}>
                {t('上传我的手签', 'Upload my signature')}
              </Button>
            </>
          )
        }
      >
        <Typography.Paragraph className="cs-muted">
          {t(
            '审核员上传手写签名（PNG），经乡镇（街道）管理员备案生效后，才会出现在其审核通过的电子证明上；新签名生效时旧签名自动停用。',
            'A reviewer uploads a handwritten signature (PNG); once the township administrator registers it, it appears on the certificates they approve. A new one retires the old.',
          )}
        </Typography.Paragraph>
        <Table<RegisteredSignature>
          rowKey="id"
          size="middle"
          loading={signatures === null}
          dataSource={signatures ?? []}
          pagination={false}
          locale={{ emptyText: <Empty description={t('暂无手签', 'No signatures yet')} /> }}
          columns={[
            { title: t('审核员', 'Reviewer'), render: (_, r) => names[r.accountId] ?? r.accountId.slice(0, 8) },
            { title: t('单位代码', 'Org'), dataIndex: 'orgCode' },
            {
              title: t('手签', 'Signature'),
              render: (_, r) => <Image src={r.image} height={40} alt={t('手签图片', 'Signature image')} className="cs-signature" />,
            },
            {
              title: t('状态', 'Status'),
              render: (_, r) => <Tag color={SIGNATURE_STATUS[r.status].color}>{pick(SIGNATURE_STATUS[r.status])}</Tag>,
            },
            { title: t('上传时间', 'Uploaded'), render: (_, r) => formatDateTime(r.uploadedAt, lang) },
            { title: t('备案时间', 'Registered'), render: (_, r) => formatDateTime(r.activatedAt, lang) },
            {
              title: t('操作', 'Action'),
              render: (_, r) =>
                activator && r.status === 'pending' && r.accountId !== me?.account.id ? (
                  <Button size="small" type="primary" loading={busy === r.id} onClick={() => void activate(r.id)}>
                    {t('备案生效', 'Register')}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
    </Space>
  );
}
