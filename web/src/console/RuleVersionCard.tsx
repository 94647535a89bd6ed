import { Card, Descriptions, Table, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import type { RuleBody, RuleVersion } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { formatDateTime, session } from './context.ts';
import { effectiveText, STATUS_TEXT } from './rule-common.tsx';

const INPUT_TYPE: Record<RuleBody['inputs'][number]['type'], string> = {
  string: '文本 text',
  int: '整数 int',
  bool: '是否 bool',
  date: '日期 date',
};

/** An amount in fen as yuan, e.g. 10000 → ¥100.00. */
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** One version of a rule as an officer reads it: what it requires, with what data and values, on what basis, who put it in force and why. */
export function RuleVersionCard({ version: v, actions, children }: { version: RuleVersion; actions?: ReactNode; children?: ReactNode }) {
  const { t, lang } = useI18n();
  const me = session.use();
  const status = STATUS_TEXT[v.status];
  // Account ids only: the officer sees whether it was them; the ledger and the staff list name the rest.
  const who = (id: string | null) =>
    id === null ? '—' : id === me?.account.id ? t('本人', 'You') : <Typography.Text code>{id.slice(0, 8)}</Typography.Text>;
  const basis = v.legalBasis;
  return (
    <Card
      type="inner"
      data-testid={`rule-version-${v.version}`}
      title={
        <span>
          {t(`第 ${v.version} 版`, `Version ${v.version}`)} <Tag color={status.color}>{t(status.zh, status.en)}</Tag>
        </span>
      }
      extra={actions}
    >
      <Descriptions size="small" column={{ xs: 1, sm: 1, md: 2 }} bordered>
        <Descriptions.Item label={t('有效期', 'Effective')}>{effectiveText(v, t)}</Descriptions.Item>
        <Descriptions.Item label={t('用途', 'Purpose')}>
          <Typography.Text code>{v.purpose}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('法律依据', 'Legal basis')} span={2}>
          {lang === 'zh' ? `${basis.titleZh}${basis.articleZh}` : `${basis.titleEn}, ${basis.articleEn}`}
        </Descriptions.Item>
        <Descriptions.Item label={t('提出', 'Proposed')}>
          {who(v.proposedBy)} · {formatDateTime(v.proposedAt, lang)}
          <div className="cs-muted">{v.reason}</div>
        </Descriptions.Item>
        <Descriptions.Item label={t('启用', 'Switched on')}>
          {v.activatedAt ? (
            <>
              {who(v.activatedBy)} · {formatDateTime(v.activatedAt, lang)}
              <div className="cs-muted">{v.activationReason}</div>
            </>
          ) : (
            '—'
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('版本哈希', 'Version hash')} span={2}>
          <Typography.Text code copyable className="cs-break" data-testid="rule-hash">
            {v.hash}
          </Typography.Text>
          <span className="cs-muted"> · {t(`账本记录 #${v.ledgerEntryId}`, `ledger entry #${v.ledgerEntryId}`)}</span>
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('条件（须全部满足）', 'Conditions (all must hold)')}
      </Typography.Title>
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={v.body.clauses}
        columns={[
          { title: t('条件', 'Condition'), render: (_, c) => (lang === 'zh' ? c.zh : c.en) },
          { title: 'CEL', render: (_, c) => <Typography.Text code>{c.expr}</Typography.Text> },
          { title: t('标识', 'Id'), dataIndex: 'id' },
        ]}
      />
      <Descriptions size="small" column={1} style={{ marginTop: 16 }}>
        <Descriptions.Item label={t('读取数据', 'Data read')}>
          {v.body.inputs.map((i) => (
            <Tag key={i.name}>
              {i.name} ← {i.dataset}.{i.field}（{INPUT_TYPE[i.type]}）
            </Tag>
          ))}
        </Descriptions.Item>
        <Descriptions.Item label={t('参数（按日期生效）', 'Parameters (dated)')}>
          <div>
            {v.body.params.length === 0 && '—'}
            {v.body.params.map((p) => (
              <div key={p.name}>
                <Typography.Text code>{p.name}</Typography.Text>{' '}
                {p.values
                  .map((x) => t(`自 ${x.from} 起 ${x.value}（${yuan(x.value)}）`, `from ${x.from}: ${x.value} (${yuan(x.value)})`))
                  .join('；')}
              </div>
            ))}
          </div>
        </Descriptions.Item>
        <Descriptions.Item label={t('金额公式（分）', 'Amount formula (fen)')}>
          {v.body.amount ? <Typography.Text code>{v.body.amount}</Typography.Text> : t('无金额', 'No amount')}
        </Descriptions.Item>
      </Descriptions>
      {children}
    </Card>
  );
}
