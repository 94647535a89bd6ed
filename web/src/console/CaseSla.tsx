/** 办理时限与督办: a case's SLA clock in working days, its pauses for correction (补正) and the escalation steps taken. */
import { Card, Descriptions, Progress, Space, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import type { CaseSla as CaseSlaDto } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, formatDateTime } from './context.ts';
import { rungText, whenText, whomText } from './sla-words.ts';

export function CaseSla({ sla, orgCode }: { sla: CaseSlaDto; orgCode: string }) {
  const { t, pick, lang } = useI18n();
  // The steps name the orgs they went to: the handling org and those above it.
  const [orgNames, setOrgNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (sla.escalations.length === 0) return;
    api.ancestors(orgCode).then(
      (a) => setOrgNames(Object.fromEntries(a.items.map((o) => [o.code, o.name]))),
      () => undefined,
    );
  }, [orgCode, sla.escalations.length]);
  const limit = sla.limitWorkingDays;
  const percent = limit ? Math.min(100, Math.round((sla.workingDays / limit) * 100)) : 0;
  return (
    <Card title={t('办理时限与督办', 'Time limit and escalations')} variant="borderless" data-testid="case-sla">
      <Descriptions column={2} size="small">
        <Descriptions.Item label={t('已用 / 承诺时限', 'Used / limit')}>
          <Space>
            <span data-testid="sla-used">
              {limit
                ? t(`${sla.workingDays} / ${limit} 个工作日`, `${sla.workingDays} / ${limit} working days`)
                : t(`${sla.workingDays} 个工作日`, `${sla.workingDays} working days`)}
            </span>
            {limit && (
              <Progress
                percent={percent}
                size="small"
                style={{ width: 120, margin: 0 }}
                status={sla.overdue ? 'exception' : 'normal'}
                showInfo={false}
                aria-label={t('时限进度', 'Time used')}
              />
            )}
            {sla.paused && <Tag>{t('补正中，计时暂停', 'paused: awaiting correction')}</Tag>}
            {sla.overdue && <Tag color="red">{t('已超期', 'overdue')}</Tag>}
            {sla.onTime === true && <Tag color="green">{t('按时办结', 'decided on time')}</Tag>}
            {sla.onTime === false && <Tag color="red">{t('超期办结', 'decided late')}</Tag>}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('办结期限', 'Due')}>
          {sla.dueDate ?? '—'}
          {sla.pausedWorkingDays > 0 &&
            t(`（因补正顺延 ${sla.pausedWorkingDays} 个工作日）`, ` (moved ${sla.pausedWorkingDays} working days for correction)`)}
        </Descriptions.Item>
      </Descriptions>
      {sla.pauses.length > 0 && (
        <>
          <h3 className="cs-subhead">{t('补正暂停', 'Paused for correction')}</h3>
          <ul className="cs-plain-list" data-testid="sla-pauses">
            {sla.pauses.map((p) => (
              <li key={p.from}>
                {formatDateTime(p.from, lang)} → {p.to ? formatDateTime(p.to, lang) : t('补正中', 'still correcting')} ·{' '}
                {t(`${p.workingDays} 个工作日`, `${p.workingDays} working days`)}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3 className="cs-subhead">{t('督办记录', 'Escalations')}</h3>
      <Table
        rowKey="step"
        size="small"
        pagination={false}
        dataSource={sla.escalations}
        data-testid="sla-escalations"
        locale={{ emptyText: t('尚未催办或督办', 'No reminders or escalations yet') }}
        columns={[
          { title: t('级', 'Rung'), key: 'step', render: (_, e) => <Tag>{pick(rungText(e.step))}</Tag> },
          { title: t('触发', 'Fired'), key: 'when', render: (_, e) => pick(whenText(e.offset)) },
          {
            title: t('发给', 'To'),
            key: 'to',
            render: (_, e) => `${pick(whomText(e.levelsUp))} · ${orgNames[e.toOrgCode] ?? e.toOrgCode}`,
          },
          { title: t('时间', 'At'), key: 'at', render: (_, e) => formatDateTime(e.at, lang) },
        ]}
      />
    </Card>
  );
}
