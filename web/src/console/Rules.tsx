import { App as AntApp, Card, Empty, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { RuleVersion } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { match, navigate, usePath } from '../shared/router.tsx';
import { api, errorText } from './context.ts';
import { RuleDetail } from './RuleDetail.tsx';
import { effectiveText, STATUS_TEXT, useOrgs } from './rule-common.tsx';
import './sharing.css';

/** A rule in the list: its newest version and the one in force (they differ while a new version waits). */
interface RuleRow {
  code: string;
  newest: RuleVersion;
  inForce: RuleVersion | null;
}

/** 规则: the rules of the officer's orgs (a rule's page at /console/rules/<code>). */
export function Rules() {
  const path = usePath();
  const detail = match('/console/rules/:code', path);
  return detail ? <RuleDetail code={detail.code!} /> : <RuleList />;
}

function RuleList() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [rows, setRows] = useState<RuleRow[] | null>(null);
  const orgs = useOrgs(rows?.map((r) => r.newest.orgCode) ?? []);

  useEffect(() => {
    (async () => {
      const newest = await api.rules();
      // Tens of rules, not thousands: each one's versions tell which is in force.
      const rules = await Promise.all(newest.map((v) => api.rule(v.ruleCode)));
      setRows(
        newest.map((v, i) => ({ code: v.ruleCode, newest: v, inForce: rules[i]!.versions.find((x) => x.status === 'active') ?? null })),
      );
    })().catch((e: unknown) => {
      setRows([]);
      void message.error(errorText(e));
    });
  }, [message]);

  return (
    <Card className="bw-scope" title={t('规则', 'Rules')}>
      <Typography.Paragraph className="cs-muted">
        {t(
          '资格与秒批规则以数据保存：每个版本列明条件、日期参数、金额公式和法律依据，由另一名工作人员启用后生效。',
          'Eligibility and instant-approval rules are data: each version states its conditions, dated parameters, amount formula and legal basis, and is switched on by another officer.',
        )}
      </Typography.Paragraph>
      <Table<RuleRow>
        rowKey="code"
        loading={rows === null}
        dataSource={rows ?? []}
        pagination={false}
        size="middle"
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('没有可查看的规则', 'No rules to show')} /> }}
        onRow={(r) => ({ onClick: () => navigate(`/console/rules/${encodeURIComponent(r.code)}`), style: { cursor: 'pointer' } })}
        columns={[
          {
            title: t('名称', 'Name'),
            render: (_, r) => (
              <a
                href={`/console/rules/${encodeURIComponent(r.code)}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/console/rules/${encodeURIComponent(r.code)}`);
                }}
              >
                {lang === 'zh' ? r.newest.nameZh : r.newest.nameEn}
              </a>
            ),
          },
          { title: t('代码', 'Code'), render: (_, r) => <Typography.Text code>{r.code}</Typography.Text> },
          {
            title: t('生效版本', 'Version in force'),
            render: (_, r) => (r.inForce ? `v${r.inForce.version}` : <Tag>{t('无', 'None')}</Tag>),
          },
          {
            title: t('最新版本', 'Newest version'),
            render: (_, r) => {
              const s = STATUS_TEXT[r.newest.status];
              return (
                <span>
                  v{r.newest.version} <Tag color={s.color}>{t(s.zh, s.en)}</Tag>
                </span>
              );
            },
          },
          { title: t('有效期', 'Effective'), render: (_, r) => effectiveText(r.inForce ?? r.newest, t) },
          { title: t('适用单位', 'Org'), render: (_, r) => orgs[r.newest.orgCode]?.name ?? r.newest.orgCode },
        ]}
      />
    </Card>
  );
}
