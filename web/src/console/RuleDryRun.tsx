import { Card, Col, Empty, Row, Statistic, Table, Typography } from 'antd';
import type { RuleDryRun, RuleVersion } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';

/** 试运行结果: who the version would grant today, and whom it adds or removes against the version in force. */
export function RuleDryRunResult({ run, version }: { run: RuleDryRun; version: RuleVersion }) {
  const { t, lang } = useI18n();
  const words = (clause: string | null) => {
    if (clause === null) return t('（数据不足）', '(data missing)');
    const c = version.body.clauses.find((x) => x.id === clause);
    return c ? (lang === 'zh' ? c.zh : c.en) : clause;
  };
  const stats: [string, string, number | null][] = [
    ['population', t('人口（人）', 'Population'), run.population],
    ['eligible', t('现符合', 'Eligible now'), run.eligible],
    ['eligible-before', t('原符合', 'Eligible before'), run.eligibleBefore],
    ['added', t('新增', 'Added'), run.added],
    ['removed', t('减少', 'Removed'), run.removed],
    ['undetermined', t('无法判定', 'Undetermined'), run.undetermined],
  ];
  return (
    <Card
      size="small"
      style={{ marginTop: 16 }}
      data-testid="rule-dry-run"
      title={
        run.baseline === null
          ? t(`试运行（${run.on}，无生效版本可比）`, `Dry run (${run.on}, no version in force to compare with)`)
          : t(`试运行（${run.on}，对比生效的第 ${run.baseline} 版）`, `Dry run (${run.on}, against version ${run.baseline} in force)`)
      }
    >
      <Row gutter={[16, 16]} className="cs-stats">
        {stats.map(([key, label, value]) => (
          <Col xs={12} sm={8} md={4} key={key}>
            <div data-testid={`dry-run-${key}`}>
              <Statistic title={label} value={value ?? '—'} />
            </div>
          </Col>
        ))}
      </Row>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('不符合的首要条件', 'Refused by the first condition not met')}
      </Typography.Title>
      <Table
        rowKey="clause"
        size="small"
        pagination={false}
        dataSource={run.failedBy}
        locale={{ emptyText: <Empty description={t('无人被拒', 'Nobody refused')} /> }}
        columns={[
          { title: t('条件', 'Condition'), render: (_, f) => words(f.clause) },
          { title: t('人数', 'People'), dataIndex: 'count' },
        ]}
      />
      {run.baseline !== null && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('样本（仅为不可逆的编号，不含个人信息）', 'Sample (one-way references only, no personal data)')}
          </Typography.Title>
          <Row gutter={16}>
            {(['added', 'removed'] as const).map((side) => (
              <Col xs={24} md={12} key={side}>
                <Typography.Text strong>{side === 'added' ? t('新增', 'Added') : t('减少', 'Removed')}</Typography.Text>
                <ul className="cs-muted">
                  {run.sample[side].length === 0 && <li>—</li>}
                  {run.sample[side].map((s) => (
                    <li key={s.subject}>
                      <Typography.Text code>{s.subject}</Typography.Text>{' '}
                      {side === 'added'
                        ? t(`原版本未满足：${words(s.failed)}`, `refused before by: ${words(s.failed)}`)
                        : t(`现未满足：${words(s.failed)}`, `now refused by: ${words(s.failed)}`)}
                    </li>
                  ))}
                </ul>
              </Col>
            ))}
          </Row>
        </>
      )}
      <Typography.Text className="cs-muted">
        {t(`本次试运行已记入账本 #${run.ledgerEntryId}`, `This dry run is ledger entry #${run.ledgerEntryId}`)}
      </Typography.Text>
    </Card>
  );
}
