/** The new-version form's units and the dry run's result, for the console's 政策 page (InsurancePolicies.tsx). */
import { Card, Col, Empty, Row, Statistic, Table, Typography } from 'antd';
import { useI18n } from '../shared/i18n.tsx';
import type { InsurancePolicy, InsuranceScheme, PolicyDryRun, PolicyProposal } from '../shared/insurance-api.ts';
import { yuan } from '../shared/money.ts';

export const LEVELS = [1, 2, 3] as const;
export const SCHEMES: { key: InsuranceScheme; zh: string; en: string }[] = [
  { key: 'employee', zh: '职工医保', en: 'Employees' },
  { key: 'resident', zh: '居民医保', en: 'Residents' },
];

/** The form in the units officers read: yuan for money, per cent for shares (the API takes fen and per mille). */
export interface PolicyForm {
  version: string;
  effectiveFrom: string;
  legalBasis: string;
  deductible: Record<InsuranceScheme, Record<1 | 2 | 3, number>>;
  ratio: Record<InsuranceScheme, Record<1 | 2 | 3, number>>;
  yearCap: Record<InsuranceScheme, number>;
  laterStay: number;
  classB: number;
  away: { province: number; otherProvinceFiled: number; otherProvinceUnfiled: number };
  month: string;
}

export const fen = (yuanValue: number) => Math.round(yuanValue * 100);
export const permille = (percent: number) => Math.round(percent * 10);
export const byLevel = (f: (l: 1 | 2 | 3) => number) => ({ 1: f(1), 2: f(2), 3: f(3) });

export function lastMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

export function formOf(p: InsurancePolicy): PolicyForm {
  const perScheme = <T,>(f: (s: InsuranceScheme) => T) => ({ employee: f('employee'), resident: f('resident') });
  return {
    version: '',
    effectiveFrom: '',
    legalBasis: p.legalBasis,
    deductible: perScheme((s) => byLevel((l) => p.deductibleFen[s][l] / 100)),
    ratio: perScheme((s) => byLevel((l) => p.ratioPermille[s][l] / 10)),
    yearCap: perScheme((s) => p.yearCapFen[s] / 100),
    laterStay: p.laterStayDeductiblePermille / 10,
    classB: p.classBSelfPayPermille / 10,
    away: {
      province: p.awayReduction.province / 10,
      otherProvinceFiled: p.awayReduction.otherProvinceFiled / 10,
      otherProvinceUnfiled: p.awayReduction.otherProvinceUnfiled / 10,
    },
    month: lastMonth(),
  };
}

export function proposalOf(region: string, v: PolicyForm): PolicyProposal {
  const perScheme = <T,>(f: (s: InsuranceScheme) => T) => ({ employee: f('employee'), resident: f('resident') });
  return {
    region,
    version: v.version.trim(),
    effectiveFrom: v.effectiveFrom,
    legalBasis: v.legalBasis.trim(),
    deductibleFen: perScheme((s) => byLevel((l) => fen(v.deductible[s][l]))),
    laterStayDeductiblePermille: permille(v.laterStay),
    ratioPermille: perScheme((s) => byLevel((l) => permille(v.ratio[s][l]))),
    awayReduction: {
      province: permille(v.away.province),
      otherProvinceFiled: permille(v.away.otherProvinceFiled),
      otherProvinceUnfiled: permille(v.away.otherProvinceUnfiled),
    },
    yearCapFen: perScheme((s) => fen(v.yearCap[s])),
    classBSelfPayPermille: permille(v.classB),
  };
}

/** 试算结果: the month's settlements under the proposal against what was paid. */
export function DryRunResult({ run }: { run: PolicyDryRun }) {
  const { t } = useI18n();
  const delta = run.fundFen.proposed - run.fundFen.then;
  return (
    <Card
      size="small"
      style={{ marginTop: 16 }}
      data-testid="policy-dry-run"
      title={t(`试算：${run.month} 的结算按 ${run.version} 重算`, `Dry run: ${run.month}'s settlements under ${run.version}`)}
    >
      <Row gutter={[16, 16]} className="cs-stats">
        <Col xs={12} md={4}>
          <div data-testid="dry-run-count">
            <Statistic title={t('结算笔数', 'Settlements')} value={run.count} />
          </div>
        </Col>
        <Col xs={12} md={5}>
          <div data-testid="dry-run-fund-then">
            <Statistic title={t('基金支付（原）', 'Fund paid (then)')} value={yuan(run.fundFen.then)} />
          </div>
        </Col>
        <Col xs={12} md={5}>
          <div data-testid="dry-run-fund-proposed">
            <Statistic title={t('基金支付（新）', 'Fund (proposed)')} value={yuan(run.fundFen.proposed)} />
          </div>
        </Col>
        <Col xs={12} md={5}>
          <div data-testid="dry-run-cash-then">
            <Statistic title={t('个人现金（原）', 'Cash (then)')} value={yuan(run.cashFen.then)} />
          </div>
        </Col>
        <Col xs={12} md={5}>
          <div data-testid="dry-run-cash-proposed">
            <Statistic title={t('个人现金（新）', 'Cash (proposed)')} value={yuan(run.cashFen.proposed)} />
          </div>
        </Col>
      </Row>
      <Typography.Paragraph style={{ marginTop: 12 }} data-testid="dry-run-delta">
        {delta === 0
          ? t('基金支付不变。', 'The fund pays the same.')
          : delta > 0
            ? t(`基金多支付 ${yuan(delta)}。`, `The fund pays ${yuan(delta)} more.`)
            : t(`基金少支付 ${yuan(-delta)}。`, `The fund pays ${yuan(-delta)} less.`)}
      </Typography.Paragraph>
      <Table
        rowKey="setlId"
        size="small"
        pagination={false}
        dataSource={run.changes}
        locale={{ emptyText: <Empty description={t('该月没有结算', 'No settlements that month')} /> }}
        columns={[
          { title: t('结算编号', 'Settlement'), render: (_, c) => <span className="cs-break">{c.setlId}</span> },
          { title: t('日期', 'Day'), dataIndex: 'day' },
          { title: t('原政策', 'Policy then'), dataIndex: 'policyVersion' },
          { title: t('总额', 'Total'), align: 'right', render: (_, c) => yuan(c.totalFen) },
          {
            title: t('基金（原 → 新）', 'Fund (then → proposed)'),
            render: (_, c) => `${yuan(c.fundThenFen)} → ${yuan(c.fundProposedFen)}`,
          },
          {
            title: t('现金（原 → 新）', 'Cash (then → proposed)'),
            render: (_, c) => `${yuan(c.cashThenFen)} → ${yuan(c.cashProposedFen)}`,
          },
        ]}
      />
    </Card>
  );
}
