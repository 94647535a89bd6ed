/** 结算单: the printable statement of a settlement at the hospital's insurance window; a settled one can be taken back (2305). */
import { App as AntApp, Button, Descriptions, Input, Popconfirm, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { createRetryKeys, type WindowStatement } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { Explanation, SCHEME } from './window-words.tsx';

/** 结算单: the printable statement of one settlement of this hospital. */
export function WindowStatementPage({ hospital, setlId }: { hospital: string; setlId: string }) {
  const { t, lang, pick } = useI18n();
  const { message } = AntApp.useApp();
  const [statement, setStatement] = useState<WindowStatement | null>(null);
  const [cancelling, setCancelling] = useState(false);
  // A cross-province settlement is cancelled at the place of insurance too: the patient's ID card goes with it.
  const [idNumber, setIdNumber] = useState('');
  const [keys] = useState(createRetryKeys);
  const load = useCallback(() => api.windowStatement(hospital, setlId).then(setStatement), [hospital, setlId]);
  useEffect(() => {
    load().catch((e: unknown) => void message.error(errorText(e)));
  }, [load, message]);
  const cancel = async () => {
    setCancelling(true);
    try {
      await api.windowCancel(hospital, setlId, keys.of(['cancel', setlId]), idNumber.trim().toUpperCase() || undefined);
      keys.done(['cancel', setlId]);
      void message.success(t('结算已撤销，就诊重新打开', 'Settlement cancelled; the encounter is open again'));
      await load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setCancelling(false);
    }
  };
  if (!statement) return null;
  return (
    <div className="cs-statement" data-testid="window-statement">
      <Typography.Title level={3}>
        {statement.institutionName} · {t('医疗费用结算单', 'Medical settlement statement')}
      </Typography.Title>
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t('结算号', 'Settlement')}>{statement.setlId}</Descriptions.Item>
        <Descriptions.Item label={t('结算时间', 'Settled')}>
          {formatDateTime(statement.settledAt, lang === 'en' ? 'en' : 'zh')}
        </Descriptions.Item>
        <Descriptions.Item label={t('姓名', 'Name')}>{statement.name}</Descriptions.Item>
        <Descriptions.Item label={t('身份证号', 'ID')}>{statement.idMasked}</Descriptions.Item>
        <Descriptions.Item label={t('险种', 'Scheme')}>{pick(SCHEME[statement.scheme])}</Descriptions.Item>
        <Descriptions.Item label={t('参保地', 'Insured in')}>
          {statement.insuranceRegionName ?? statement.insuranceRegion}
        </Descriptions.Item>
        <Descriptions.Item label={t('状态', 'Status')}>
          {statement.status === 'settled' ? t('已结算', 'Settled') : t('已撤销', 'Cancelled')}
        </Descriptions.Item>
        <Descriptions.Item label={t('电子结算单', 'Sealed statement')}>
          {statement.certificateId ? statement.certificateId : t('签章生成中', 'Being sealed')}
        </Descriptions.Item>
      </Descriptions>
      <Explanation result={{ ...statement, policy: statement.policyVersion }} t={t} pick={pick} />
      <Space className="cs-noprint" style={{ marginTop: 16 }}>
        <Button type="primary" onClick={() => window.print()}>
          {t('打印', 'Print')}
        </Button>
        <Button onClick={() => navigate('/console/insurance-window')}>{t('返回窗口', 'Back to the window')}</Button>
        {statement.status === 'settled' && (
          <Input
            style={{ width: 240 }}
            value={idNumber}
            onChange={(e) => setIdNumber(e.target.value)}
            placeholder={t('患者身份证号（跨省结算撤销时读取）', 'Patient’s ID number (for a cross-province settlement)')}
            data-testid="statement-id-number"
          />
        )}
        {statement.status === 'settled' && (
          <Popconfirm
            title={t(
              '撤销这笔结算？基金支付与年度累计将原样退回',
              'Cancel this settlement? The fund payment and the year’s totals are taken back',
            )}
            okText={t('撤销结算', 'Cancel settlement')}
            cancelText={t('不撤销', 'Keep it')}
            onConfirm={() => void cancel()}
          >
            <Button danger loading={cancelling}>
              {t('撤销结算', 'Cancel settlement')}
            </Button>
          </Popconfirm>
        )}
      </Space>
    </div>
  );
}
