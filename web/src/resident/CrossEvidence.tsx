import { Button, Dialog, DotLoading, List, NoticeBar, Result, Selector, Tag, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import { newKey, type CrossProvinceEvidence, type ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate, formatDateTime } from './context.ts';

/** The certificate types residents ask for most, by name; any other type shows its code. */
const TYPE_NAMES: Record<string, { zh: string; en: string }> = {
  residence: { zh: '居住证明', en: 'Residence proof' },
  no_criminal_record: { zh: '无犯罪记录证明', en: 'No-criminal-record certificate' },
  family_economic_status: { zh: '家庭经济状况证明', en: 'Family economic status' },
  kinship: { zh: '亲属关系证明', en: 'Kinship certificate' },
};

const STATE: Record<CrossProvinceEvidence['state'], { zh: string; en: string; color: string }> = {
  requested: { zh: '调取中', en: 'Requested', color: 'primary' },
  none: { zh: '对方无此证照', en: 'None held there', color: 'default' },
  invalid: { zh: '核验未通过，已删除', en: 'Failed verification, deleted', color: 'danger' },
  pending_preview: { zh: '待本人确认', en: 'Awaiting your preview', color: 'warning' },
  attached: { zh: '已附入办件', en: 'Attached to the case', color: 'success' },
  refused: { zh: '已拒绝并删除', en: 'Refused and deleted', color: 'default' },
  received: { zh: '已收到', en: 'Received', color: 'primary' },
  provided: { zh: '已提供', en: 'Provided', color: 'success' },
};

const CHECKS: Record<string, { zh: string; en: string }> = {
  format: { zh: '格式与标识', en: 'Format and identifier' },
  disclosures: { zh: '显示内容与签名一致', en: 'Shown fields match the signature' },
  issuer: { zh: '印章证书链至国家根证书', en: 'Seal chains to the national root' },
  signature: { zh: '电子印章签名', en: 'Seal signature' },
  validity: { zh: '有效期', en: 'Validity period' },
  status: { zh: '未撤销、未暂停', en: 'Not revoked or suspended' },
  ledger: { zh: '签发已记入对方账本', en: "Issuance in the issuer's ledger" },
};
/** Field labels of the common certificate types (the payload carries names only). */
const FIELDS: Record<string, { zh: string; en: string }> = {
  address: { zh: '居住地址', en: 'Address' },
  residentSince: { zh: '居住起始日期', en: 'Resident since' },
  purpose: { zh: '用途', en: 'Purpose' },
  issuerName: { zh: '出具单位', en: 'Issuer' },
};
const RESULTS: Record<string, { zh: string; en: string }> = {
  pass: { zh: '通过', en: 'Pass' },
  fail: { zh: '未通过', en: 'Fail' },
  unknown: { zh: '无法确定', en: 'Unknown' },
  skipped: { zh: '未检查', en: 'Not checked' },
};

function useTypeName() {
  const { pick } = useI18n();
  return (type: string) => (TYPE_NAMES[type] ? pick(TYPE_NAMES[type]) : type);
}

/** A case's materials: what the service asks for, and evidence fetched from another province (从外省调取). */
export function CaseMaterials({ caseId, service }: { caseId: string; service: ServiceItem | null }) {
  const { t, pick, lang } = useI18n();
  const typeName = useTypeName();
  const [items, setItems] = useState<CrossProvinceEvidence[] | null>(null);
  const [offered, setOffered] = useState<{ evidenceType: string; providers: { memberId: string; name: string }[] }[] | null>(null);
  const [choice, setChoice] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey);

  const load = useCallback(async () => {
    setItems(await api.caseEvidence(caseId).catch(() => []));
  }, [caseId]);
  useEffect(() => void load(), [load]);
  // While a request is on its way, look again every 3 s (the other province answers through its outbox).
  useEffect(() => {
    if (!items?.some((e) => e.state === 'requested')) return;
    const timer = setTimeout(() => void load(), 3000);
    return () => clearTimeout(timer);
  }, [items, load]);

  const open = async () => {
    try {
      setOffered(await api.evidenceTypes());
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    }
  };
  const ask = async () => {
    const [evidenceType, from] = (choice[0] ?? '').split('|');
    if (!evidenceType) return;
    setBusy(true);
    try {
      await api.requestEvidence({ caseId, evidenceType, ...(from ? { from } : {}) }, key);
      Toast.show({ icon: 'success', content: t('已发出调取请求', 'Request sent') });
      setKey(newKey());
      setOffered(null);
      setChoice([]);
      await load();
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <List header={t('申请材料', 'Materials')} data-testid="case-materials">
      {(service?.materials ?? []).map((m) => (
        <List.Item key={m.code} extra={m.proofFree ? <Tag color="success">{t('免提交', 'No paper needed')}</Tag> : undefined}>
          {pick({ zh: m.nameZh, en: m.nameEn })}
        </List.Item>
      ))}
      {(items ?? []).map((e) => (
        <List.Item
          key={e.id}
          arrowIcon={e.state === 'pending_preview' || e.state === 'attached'}
          onClick={e.state === 'pending_preview' || e.state === 'attached' ? () => navigate(`/evidence/${e.id}`) : undefined}
          description={`${t('外省调取', 'From another province')} · ${e.provider} · ${formatDateTime(e.createdAt, lang)}`}
          extra={<Tag color={STATE[e.state].color}>{pick(STATE[e.state])}</Tag>}
          data-testid="evidence-item"
        >
          {typeName(e.evidenceType)}
        </List.Item>
      ))}
      {offered === null ? (
        <List.Item onClick={() => void open()} arrowIcon data-testid="fetch-evidence">
          {t('从外省调取', 'Fetch from another province')}
        </List.Item>
      ) : offered.length === 0 ? (
        <List.Item>{t('暂无外省可提供的电子证照', 'No other province provides e-licences yet')}</List.Item>
      ) : (
        <div className="rs-evidence-pick">
          <p>
            {t(
              '选择证照类型与签发省份，对方核验后先由您本人预览确认',
              'Choose a type and province; you preview it before anyone else sees it',
            )}
          </p>
          <Selector
            columns={1}
            value={choice}
            onChange={setChoice}
            options={offered.flatMap((o) =>
              o.providers.map((p) => ({ value: `${o.evidenceType}|${p.memberId}`, label: `${typeName(o.evidenceType)} · ${p.name}` })),
            )}
          />
          <Button block color="primary" loading={busy} disabled={choice.length === 0} onClick={() => void ask()}>
            {t('发出调取请求', 'Send the request')}
          </Button>
        </div>
      )}
    </List>
  );
}

/** The preview: what the certificate says, who issued it, how it verified; then consent (attach) or refuse (delete). */
export function EvidencePreview({ id }: { id: string }) {
  const { t, pick, lang } = useI18n();
  const typeName = useTypeName();
  const [e, setEvidence] = useState<CrossProvinceEvidence | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.evidence(id).then(setEvidence, (err: unknown) => setError(errorText(err)));
  }, [id]);
  if (error) return <Result status="error" title={error} />;
  if (!e)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );

  const decide = async (decision: 'consent' | 'refuse') => {
    if (decision === 'refuse') {
      const sure = await Dialog.confirm({
        content: t('拒绝后该证照将被删除，不会附入办件。', 'Refused evidence is deleted and never attached.'),
      });
      if (!sure) return;
    }
    setBusy(true);
    try {
      setEvidence(await api.decideEvidence(e.id, decision));
      Toast.show({ icon: 'success', content: decision === 'consent' ? t('已附入办件', 'Attached') : t('已删除', 'Deleted') });
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const c = e.content;
  const valid = e.verification?.verdict === 'VALID';
  return (
    <div className="rs-page" data-testid="evidence-preview">
      <div className="rs-service-head">
        <h2>{c ? pick(c.typeName) : typeName(e.evidenceType)}</h2>
        <Tag color={STATE[e.state].color}>{pick(STATE[e.state])}</Tag>
      </div>
      {e.state === 'pending_preview' && (
        <NoticeBar
          wrap
          color="info"
          content={t(
            '此证照来自外省电子证照库，目前只有您本人可见。同意后附入本办件，经办人员方可查看；拒绝则删除。',
            'This evidence comes from another province and only you can see it. Consent attaches it for the case staff; refusal deletes it.',
          )}
        />
      )}
      {c && (
        <List header={t('证照内容', 'What it says')}>
          <List.Item extra={c.holderName}>{t('持证人', 'Holder')}</List.Item>
          <List.Item extra={c.holderIdMasked}>{t('身份证号码', 'ID number')}</List.Item>
          {c.fields
            .filter((f) => f.name !== 'holderName' && f.name !== 'residentIdMasked')
            .map((f) => (
              <List.Item key={f.name} extra={f.value}>
                {FIELDS[f.name] ? pick(FIELDS[f.name]!) : f.name}
              </List.Item>
            ))}
          <List.Item extra={c.issuerName}>{t('签发机构', 'Issued by')}</List.Item>
          <List.Item extra={formatDate(c.issuedAt, lang)}>{t('签发日期', 'Issued')}</List.Item>
          <List.Item extra={formatDate(c.validUntil, lang)}>{t('有效期至', 'Valid until')}</List.Item>
          <List.Item description={<span className="rs-evidence-id">{c.identifier}</span>}>{t('电子证照标识', 'Identifier')}</List.Item>
        </List>
      )}
      {e.verification && (
        <List header={t('全国信任列表核验', 'Checked against the national trust list')}>
          <List.Item extra={<Tag color={valid ? 'success' : 'danger'}>{valid ? t('真实有效', 'Genuine') : t('未通过', 'Failed')}</Tag>}>
            {e.provider}
          </List.Item>
          {e.verification.checks.map((check) => (
            <List.Item
              key={check.check}
              extra={RESULTS[check.result] ? pick(RESULTS[check.result]!) : check.result}
              description={check.reason}
            >
              {CHECKS[check.check] ? pick(CHECKS[check.check]!) : check.check}
            </List.Item>
          ))}
        </List>
      )}
      {e.state === 'pending_preview' && (
        <div className="rs-evidence-actions">
          <Button block color="primary" size="large" loading={busy} onClick={() => void decide('consent')} data-testid="evidence-consent">
            {t('同意使用，附入办件', 'Consent and attach')}
          </Button>
          <Button block fill="outline" color="danger" loading={busy} onClick={() => void decide('refuse')} data-testid="evidence-refuse">
            {t('拒绝并删除', 'Refuse and delete')}
          </Button>
        </div>
      )}
      {e.state !== 'pending_preview' && (
        <Button block fill="none" onClick={() => navigate(`/cases/${e.caseId}`)}>
          {t('返回办件', 'Back to the case')}
        </Button>
      )}
    </div>
  );
}
