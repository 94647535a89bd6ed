import { App as AntApp, Card, Empty, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { CaseDetail, CaseState } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { BundleMark, useBundleDefinitions } from './bundle-mark.tsx';
import { api, errorText, formatDateTime, orgsFor, session } from './context.ts';
import './sharing.css';

const RULE = /^即办规则 instant-approval rule: (.+)$/;

/** Who decided a case: an instant-approval rule (recorded as the decider) or an officer. */
export function deciderOf(c: Pick<CaseDetail, 'events'>): { rule: string | null; decided: boolean } {
  const decision = c.events.find((e) => e.action === 'approve' || e.action === 'reject');
  if (!decision) return { rule: null, decided: false };
  return { rule: decision.reason ? (RULE.exec(decision.reason)?.[1] ?? null) : null, decided: true };
}

/**
 * 一件事任务: the bundle tasks that reached the officer's organisation, open or completed, with
 * the bundle each belongs to and who decided it (a department rule or an officer).
 */
export function BundleTasks() {
  const { t, pick, lang } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const orgCodes = orgsFor(me, 'case.view');
  const [orgCode, setOrgCode] = useState<string | undefined>(orgCodes[0]);
  const [orgNames, setOrgNames] = useState<Record<string, string>>({});
  const [view, setView] = useState<'open' | 'completed'>('open');
  const defs = useBundleDefinitions();
  const [rows, setRows] = useState<CaseDetail[] | null>(null);

  useEffect(() => {
    for (const code of orgCodes)
      api.org(code).then(
        (o) => setOrgNames((n) => ({ ...n, [code]: o.name })),
        () => undefined,
      );
  }, []);

  useEffect(() => {
    if (!orgCode || defs.length === 0) return;
    let live = true;
    setRows(null);
    const items = [...new Set(defs.flatMap((d) => d.tasks.map((x) => x.item)))];
    const state: CaseState | undefined = view === 'completed' ? 'completed' : undefined;
    void (async () => {
      try {
        const pages = await Promise.all(items.map((serviceCode) => api.queue({ orgCode, serviceCode, state, limit: 50 })));
        const summaries = pages.flatMap((p) => p.items);
        const details = await Promise.all(summaries.map((c) => api.case(c.id)));
        details.sort((a, b) => (b.submittedAt ?? b.createdAt).localeCompare(a.submittedAt ?? a.createdAt));
        if (live) setRows(details);
      } catch (e) {
        if (live) setRows([]);
        void message.error(errorText(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [orgCode, view, defs, message]);

  return (
    <Card
      className="bw-scope"
      title={t('一件事任务', 'Bundle tasks')}
      extra={
        <Typography.Text className="cs-muted">
          {t('新生儿出生、退休等一件事中由本单位办理的事项', 'The items of life-event bundles your organisation handles')}
        </Typography.Text>
      }
    >
      <Space wrap className="cs-filters">
        <Select
          style={{ minWidth: 260 }}
          value={orgCode}
          onChange={setOrgCode}
          aria-label={t('单位', 'Organisation')}
          options={orgCodes.map((c) => ({ value: c, label: orgNames[c] ? `${orgNames[c]}（${c}）` : c }))}
        />
        <Segmented
          value={view}
          onChange={(v) => setView(v as 'open' | 'completed')}
          options={[
            { value: 'open', label: t('待办', 'Open') },
            { value: 'completed', label: t('已办结', 'Completed') },
          ]}
        />
      </Space>
      <Table<CaseDetail>
        rowKey="id"
        loading={rows === null}
        dataSource={rows ?? []}
        pagination={false}
        size="middle"
        onRow={(r) => ({ onClick: () => navigate(`/console/cases/${r.id}`), style: { cursor: 'pointer' } })}
        locale={{
          emptyText: (
            <Empty
              description={
                view === 'open'
                  ? t('没有待办的一件事任务', 'No open bundle tasks')
                  : t('还没有办结的一件事任务', 'No completed bundle tasks yet')
              }
            />
          ),
        }}
        columns={[
          {
            title: t('办件编号', 'Case no.'),
            dataIndex: 'caseNo',
            render: (v: string, r) => (
              <a href={`/console/cases/${r.id}`} onClick={(e) => e.preventDefault()}>
                {v}
              </a>
            ),
          },
          { title: t('一件事', 'Bundle'), render: (_, r) => <BundleMark serviceCode={r.serviceCode} defs={defs} /> },
          { title: t('事项', 'Service'), render: (_, r) => pick(r.serviceName) },
          {
            title: t('申请人', 'Applicant'),
            render: (_, r) => (r.applicant ? `${r.applicant.name}（${r.applicant.residentIdMasked}）` : '—'),
          },
          {
            title: t('状态', 'State'),
            render: (_, r) => (
              <Tag color={r.state === 'completed' ? 'green' : r.state === 'rejected' ? 'red' : 'blue'}>{pick(r.stateLabel)}</Tag>
            ),
          },
          {
            title: t('决定', 'Decided by'),
            render: (_, r) => {
              const d = deciderOf(r);
              if (!d.decided) return <span className="cs-muted">{t('待审核', 'Not yet')}</span>;
              return d.rule ? (
                <Tag color="gold" data-testid="decided-by-rule">
                  {t('即办规则', 'Instant rule')} {d.rule}
                </Tag>
              ) : (
                <Tag>{t('工作人员', 'Officer')}</Tag>
              );
            },
          },
          { title: t('提交时间', 'Submitted'), render: (_, r) => formatDateTime(r.submittedAt, lang) },
          { title: t('办结期限', 'Due'), render: (_, r) => r.dueDate ?? '—' },
        ]}
      />
    </Card>
  );
}
