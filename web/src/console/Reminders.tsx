/** 催办提醒: the escalation steps addressed to the signed-in staff member's orgs, newest first, each marked seen by them. */
import { App as AntApp, Badge, Button, Card, Space, Switch, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Reminder } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { STATE_COLOR } from './case-states.ts';
import { overdueText, rungText, whenText, whomText } from './sla-words.ts';

const UNSEEN_EVENT = 'yiban:reminders-unseen';

/** Tells the menu's badge the new unseen count. */
function announce(unseen: number): void {
  window.dispatchEvent(new CustomEvent(UNSEEN_EVENT, { detail: unseen }));
}

/** The menu entry's unseen count, read once at sign-in and again whenever the page marks some seen. */
export function ReminderBadge({ label }: { label: string }) {
  const { t } = useI18n();
  const [unseen, setUnseen] = useState(0);
  useEffect(() => {
    api.reminders({ unseen: true, limit: 1 }).then(
      (p) => setUnseen(p.unseen),
      () => undefined,
    );
    const update = (e: Event) => setUnseen((e as CustomEvent<number>).detail);
    window.addEventListener(UNSEEN_EVENT, update);
    return () => window.removeEventListener(UNSEEN_EVENT, update);
  }, []);
  return (
    <Space size={6}>
      <span>{label}</span>
      {unseen > 0 && (
        <Badge
          count={unseen}
          overflowCount={99}
          color="#cf1322"
          data-testid="reminder-badge"
          title={t(`${unseen} 条未读`, `${unseen} unseen`)}
        />
      )}
    </Space>
  );
}

export function Reminders() {
  const { t, pick, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [items, setItems] = useState<Reminder[] | null>(null);
  const [unseen, setUnseen] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [onlyUnseen, setOnlyUnseen] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(
    async (before?: string) => {
      try {
        const page = await api.reminders({ unseen: onlyUnseen, ...(before ? { before } : {}) });
        setItems((old) => (before && old ? [...old, ...page.items] : page.items));
        setNext(page.next);
        setUnseen(page.unseen);
        announce(page.unseen);
      } catch (e) {
        void message.error(errorText(e));
      }
    },
    [onlyUnseen, message],
  );
  useEffect(() => void load(), [load]);

  const seen = async (r: Reminder) => {
    try {
      const answer = await api.reminderSeen(r.id);
      setUnseen(answer.unseen);
      announce(answer.unseen);
      setItems((old) =>
        onlyUnseen
          ? (old ?? []).filter((x) => x.id !== r.id)
          : (old ?? []).map((x) => (x.id === r.id ? { ...x, seenAt: new Date().toISOString() } : x)),
      );
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const allSeen = async () => {
    setBusy(true);
    try {
      await api.allRemindersSeen();
      await load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={
        <Space>
          <span>{t('催办提醒', 'Reminders')}</span>
          <span className="cs-muted" data-testid="reminders-unseen">
            {t(`未读 ${unseen}`, `${unseen} unseen`)}
          </span>
        </Space>
      }
      variant="borderless"
      extra={
        <Space wrap>
          <label className="cs-switch">
            <Switch checked={onlyUnseen} onChange={setOnlyUnseen} aria-label={t('只看未读', 'Unseen only')} />
            {t('只看未读', 'Unseen only')}
          </label>
          <Button onClick={() => void allSeen()} loading={busy} disabled={unseen === 0}>
            {t('全部标为已读', 'Mark all seen')}
          </Button>
        </Space>
      }
    >
      <p className="cs-muted">
        {t(
          '办件临近或超过办结期限时，按督办阶梯提醒办理单位（催办），再报上级（督办）。这里是发给您所在单位的提醒。',
          'When a case nears or passes its due date, the escalation ladder reminds the handling org, then the orgs above it. These are the ones addressed to your org.',
        )}
      </p>
      <Table<Reminder>
        rowKey="id"
        size="middle"
        loading={items === null}
        dataSource={items ?? []}
        pagination={false}
        scroll={{ x: 900 }}
        rowClassName={(r) => (r.seenAt ? '' : 'cs-unseen')}
        locale={{ emptyText: t('暂无催办提醒', 'No reminders') }}
        columns={[
          {
            title: t('办件', 'Case'),
            key: 'case',
            render: (_, r) => (
              <div>
                <a
                  href={`/console/cases/${r.caseId}`}
                  onClick={(e) => (e.preventDefault(), navigate(`/console/cases/${r.caseId}`))}
                  data-testid="reminder-case"
                >
                  {r.caseNo}
                </a>
                <div>{pick(r.serviceName)}</div>
                <div className="cs-muted">{r.orgName}</div>
              </div>
            ),
          },
          {
            title: t('阶梯', 'Rung'),
            key: 'rung',
            render: (_, r) => (
              <div data-testid="reminder-rung">
                <Tag color={r.kind === 'remind' ? 'blue' : 'red'}>{pick(rungText(r.step))}</Tag>
                <div>{pick(whomText(r.levelsUp))}</div>
                <div className="cs-muted">
                  {pick(whenText(r.offset))}
                  {r.kind === 'escalate' && ` → ${r.toOrgName}`}
                </div>
              </div>
            ),
          },
          {
            title: t('超期', 'Overdue'),
            key: 'overdue',
            render: (_, r) => (
              <div>
                <span data-testid="reminder-overdue" className={r.overdueWorkingDays > 0 ? 'cs-late' : ''}>
                  {pick(overdueText(r.overdueWorkingDays))}
                </span>
                <div className="cs-muted">{t(`期限 ${r.dueDate}`, `due ${r.dueDate}`)}</div>
              </div>
            ),
          },
          {
            title: t('状态', 'State'),
            key: 'state',
            render: (_, r) => <Tag color={STATE_COLOR[r.state]}>{pick(r.stateLabel)}</Tag>,
          },
          { title: t('提醒时间', 'Since'), key: 'at', render: (_, r) => formatDateTime(r.at, lang) },
          {
            title: t('已读', 'Seen'),
            key: 'seen',
            render: (_, r) =>
              r.seenAt ? (
                <span className="cs-muted">{formatDateTime(r.seenAt, lang)}</span>
              ) : (
                <Button size="small" onClick={() => void seen(r)} aria-label={t(`${r.caseNo} 标为已读`, `Mark ${r.caseNo} seen`)}>
                  {t('标为已读', 'Mark seen')}
                </Button>
              ),
          },
        ]}
      />
      {next && (
        <Button style={{ marginTop: 16 }} onClick={() => void load(next)}>
          {t('更多', 'More')}
        </Button>
      )}
    </Card>
  );
}
