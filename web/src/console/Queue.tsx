/** The work queue: cases of an organisation by state, with batch approve and reject. */
import { App as AntApp, Button, Card, Empty, Select, Space, Switch, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import type { CaseState, CaseView, ServiceItem } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime, orgsFor, session } from './context.ts';
import { BundleMark, useBundleDefinitions } from './bundle-mark.tsx';
import { STATE_COLOR, STATES } from './case-states.ts';

export function Queue() {
  const { t, pick, lang } = useI18n();
  const { message, modal } = AntApp.useApp();
  const me = session.use();
  // The overview opens a village's queue with ?orgCode= (and &overdue=1).
  const linked = new URLSearchParams(location.search);
  const orgCodes = [...new Set([...orgsFor(me, 'case.view'), ...(linked.get('orgCode') ? [linked.get('orgCode')!] : [])])];
  const [orgCode, setOrgCode] = useState<string | undefined>(linked.get('orgCode') ?? orgCodes[0]);
  const [orgNames, setOrgNames] = useState<Record<string, string>>({});
  const [state, setState] = useState<CaseState | undefined>(undefined);
  const [overdue, setOverdue] = useState(linked.get('overdue') === '1');
  const [serviceCode, setServiceCode] = useState<string | undefined>(undefined);
  const [services, setServices] = useState<ServiceItem[]>([]);
  // Keyset pagination: the cursors of the pages before this one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [rows, setRows] = useState<CaseView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const after = cursors[cursors.length - 1];
  const [selected, setSelected] = useState<string[]>([]);
  // Bumped after a batch decision, to read the page again.
  const [reloads, setReloads] = useState(0);
  const [deciding, setDeciding] = useState(false);
  const bundleDefs = useBundleDefinitions();

  useEffect(() => {
    api.services().then(
      (r) => setServices(r.items),
      () => undefined,
    );
    for (const code of orgCodes) {
      api.org(code).then(
        (o) => setOrgNames((names) => ({ ...names, [code]: o.name })),
        () => undefined,
      );
    }
  }, []);
  useEffect(() => {
    if (!orgCode) {
      setRows([]);
      return;
    }
    setRows(null);
    setSelected([]);
    api
      .queue({ orgCode, state, overdue: overdue || undefined, serviceCode, after, limit: 50 })
      .then((p) => {
        setRows(p.items);
        setNext(p.next);
      })
      .catch((e: unknown) => {
        setRows([]);
        void message.error(errorText(e));
      });
  }, [orgCode, state, overdue, serviceCode, after, message, reloads]);

  const reset = () => setCursors([undefined]);

  // Batch approval: every selected case gets its own decision, seal and certificate; the answer
  // says per case what happened, and the page is read again.
  const approveSelected = () => {
    const ids = [...selected];
    modal.confirm({
      title: t(`批量审核通过 ${ids.length} 件`, `Approve ${ids.length} cases`),
      content: t(
        '将逐件记录审核通过，并为每件加盖本单位电子印章、签发电子证明。已办结或无权办理的办件不受影响。',
        'Each case is approved on its own and gets a certificate sealed by your organisation. Cases already decided or outside your remit are left as they are.',
      ),
      okText: t('确认通过', 'Approve'),
      cancelText: t('取消', 'Cancel'),
      onOk: async () => {
        setDeciding(true);
        try {
          const r = await api.batchDecide(ids, 'approve');
          const done = r.counts.approved;
          const left = ids.length - done;
          if (left === 0) void message.success(t(`已通过 ${done} 件，电子证明已签发`, `${done} approved, certificates issued`));
          else void message.warning(t(`已通过 ${done} 件，${left} 件未处理`, `${done} approved, ${left} not decided`));
          setReloads((n) => n + 1);
        } catch (e) {
          void message.error(errorText(e));
        } finally {
          setDeciding(false);
        }
      },
    });
  };

  return (
    <Card title={t('待办队列', 'Queue')} variant="borderless">
      <Space wrap className="cs-filters">
        <Select
          style={{ width: 220 }}
          aria-label={t('办理单位', 'Organisation')}
          value={orgCode}
          onChange={(v: string) => {
            setOrgCode(v);
            reset();
          }}
          options={orgCodes.map((code) => ({ value: code, label: orgNames[code] ?? code }))}
        />
        <Select
          allowClear
          style={{ width: 160 }}
          placeholder={t('全部状态', 'All states')}
          aria-label={t('状态', 'State')}
          value={state}
          onChange={(v: CaseState | undefined) => {
            setState(v);
            reset();
          }}
          options={STATES.map((s) => ({ value: s.value, label: t(s.zh, s.en) }))}
        />
        <Select
          allowClear
          style={{ width: 200 }}
          placeholder={t('全部事项', 'All services')}
          aria-label={t('事项', 'Service')}
          value={serviceCode}
          onChange={(v: string | undefined) => {
            setServiceCode(v);
            reset();
          }}
          options={services.map((s) => ({ value: s.code, label: lang === 'zh' ? s.nameZh : s.nameEn }))}
        />
        <label className="cs-switch">
          <Switch
            checked={overdue}
            onChange={(v) => {
              setOverdue(v);
              reset();
            }}
            aria-label={t('只看超期', 'Overdue only')}
          />
          <span>{t('只看超期', 'Overdue only')}</span>
        </label>
      </Space>
      <Space className="cs-batch">
        <Button type="primary" disabled={selected.length === 0} loading={deciding} onClick={approveSelected} data-testid="batch-approve">
          {t(`批量通过（${selected.length}）`, `Approve selected (${selected.length})`)}
        </Button>
      </Space>
      <Table<CaseView>
        rowKey="id"
        rowSelection={{
          selectedRowKeys: selected,
          onChange: (keys) => setSelected(keys.map(String)),
          getCheckboxProps: (r) => ({ 'aria-label': t(`选择 ${r.caseNo}`, `Select ${r.caseNo}`) }),
        }}
        loading={rows === null}
        dataSource={rows ?? []}
        pagination={false}
        size="middle"
        rowClassName={(r) => (r.overdue ? 'cs-overdue' : '')}
        onRow={(r) => ({
          // A click on the selection box selects; anywhere else on the row opens the case.
          onClick: (e) => {
            if ((e.target as HTMLElement).closest('.ant-table-selection-column')) return;
            navigate(`/console/cases/${r.id}`);
          },
          style: { cursor: 'pointer' },
        })}
        locale={{ emptyText: <Empty description={t('没有待办', 'Nothing to do')} /> }}
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
          {
            title: t('事项', 'Service'),
            render: (_, r) => (
              <>
                {pick(r.serviceName)} <BundleMark serviceCode={r.serviceCode} defs={bundleDefs} />
              </>
            ),
          },
          { title: t('状态', 'State'), render: (_, r) => <Tag color={STATE_COLOR[r.state]}>{pick(r.stateLabel)}</Tag> },
          { title: t('提交时间', 'Submitted'), render: (_, r) => formatDateTime(r.submittedAt, lang) },
          {
            title: t('办结期限', 'Due'),
            render: (_, r) => (
              <span>
                {r.dueDate ?? '—'} {r.overdue && <Tag color="red">{t('已超期', 'Overdue')}</Tag>}
              </span>
            ),
          },
        ]}
      />
      <div className="cs-pager">
        <Button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          {t('上一页', 'Previous')}
        </Button>
        <span>{t(`第 ${cursors.length} 页`, `Page ${cursors.length}`)}</span>
        <Button disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
          {t('下一页', 'Next')}
        </Button>
      </div>
    </Card>
  );
}
