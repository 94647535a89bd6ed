/** 督办阶梯: view and set the escalation ladder of a jurisdiction (sla.manage); the server checks every step and says why. */
import { Alert, App as AntApp, Button, Card, Descriptions, InputNumber, Select, Space, Spin, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, type LadderStep, type Org, type SlaLadder } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, orgsFor, session } from './context.ts';
import { OrgPicker } from './OrgPicker.tsx';
import { rungText, whenText, whomText } from './sla-words.ts';

const MAX_STEPS = 8;
const LEVELS = [0, 1, 2, 3, 4];

interface Row extends LadderStep {
  key: number;
}

let nextKey = 1;
const rows = (steps: LadderStep[]): Row[] => steps.map((s) => ({ ...s, key: nextKey++ }));

export function Ladders() {
  const { t, pick } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const roots = orgsFor(me, 'sla.manage');
  const [code, setCode] = useState<string | undefined>(roots[0]);
  const [org, setOrg] = useState<Org | null>(null);
  const [ladder, setLadder] = useState<SlaLadder | null>(null);
  const [setAtName, setSetAtName] = useState<string | null>(null);
  const [steps, setSteps] = useState<Row[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const show = useCallback(async (l: SlaLadder) => {
    setLadder(l);
    setSteps(rows(l.steps));
    setSetAtName(l.setAt ? ((await api.org(l.setAt).catch(() => null))?.name ?? l.setAt) : null);
  }, []);

  useEffect(() => {
    if (!code) return;
    setLadder(null);
    setError(null);
    api.org(code).then(setOrg, () => setOrg(null));
    api.ladder(code).then(show, (e: unknown) => void message.error(errorText(e)));
  }, [code, show, message]);

  const change = (key: number, part: Partial<LadderStep>) => setSteps((old) => old.map((s) => (s.key === key ? { ...s, ...part } : s)));
  const add = () => {
    const last = steps.at(-1);
    setSteps([...steps, { key: nextKey++, offset: last ? last.offset + 1 : 0, levelsUp: last ? Math.min(last.levelsUp + 1, 4) : 0 }]);
  };
  const save = async () => {
    if (!code) return;
    setBusy(true);
    setError(null);
    try {
      await show(
        await api.setLadder(
          code,
          steps.map(({ offset, levelsUp }) => ({ offset, levelsUp })),
        ),
      );
      void message.success(t('督办阶梯已保存', 'Ladder saved'));
    } catch (e) {
      if (e instanceof ApiError) setError(e);
      else void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (!code) return <Alert type="info" message={t('此账号不能设置督办阶梯', 'This account may not set escalation ladders')} />;
  const origin = !ladder
    ? null
    : ladder.setAt === null
      ? t('默认阶梯（本级及上级均未设置）', 'The default ladder (none set here or above)')
      : ladder.setAt === ladder.orgCode
        ? t('本级设置', 'Set at this org')
        : t(`沿用上级：${setAtName ?? ladder.setAt}`, `Inherited from ${setAtName ?? ladder.setAt}`);

  return (
    <Card
      title={t('督办阶梯', 'Escalation ladder')}
      variant="borderless"
      extra={<OrgPicker roots={roots} value={code} onChange={(c) => setCode(c)} label={t('管辖单位', 'Jurisdiction')} />}
    >
      <p className="cs-muted">
        {t(
          '办件临近或超过办结期限（按工作日计，补正期间暂停）时，逐级提醒：先催办办理单位，再报上级督办。阶梯适用于本单位及下级办理的办件，下级另有设置的除外。',
          'When a case nears or passes its due date (in working days, paused while the applicant corrects), each rung fires once: first a reminder to the handling org, then the orgs above. A ladder applies to the cases handled here and below, unless an org nearer the case sets its own.',
        )}
      </p>
      {!ladder ? (
        <Spin />
      ) : (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t('单位', 'Org')}>
              <span data-testid="ladder-org">{org?.name ?? code}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('当前适用', 'In force')}>
              <span data-testid="ladder-origin">{origin}</span>
            </Descriptions.Item>
          </Descriptions>
          {error && (
            <Alert
              type="error"
              showIcon
              data-testid="ladder-error"
              message={error.message}
              description={t(`错误代码 ${error.code}`, `Error code ${error.code}`)}
              closable
              onClose={() => setError(null)}
            />
          )}
          <Table<Row>
            rowKey="key"
            size="middle"
            pagination={false}
            dataSource={steps}
            data-testid="ladder-steps"
            locale={{ emptyText: t('至少需要一级', 'At least one rung') }}
            columns={[
              { title: t('级', 'Rung'), key: 'n', width: 90, render: (_, __, i) => <Tag>{pick(rungText(i + 1))}</Tag> },
              {
                title: t('触发（距到期日的工作日）', 'Fires (working days from the due date)'),
                key: 'offset',
                render: (_, s, i) => (
                  <Space>
                    <InputNumber
                      value={s.offset}
                      precision={0}
                      onChange={(v) => change(s.key, { offset: typeof v === 'number' ? v : 0 })}
                      aria-label={t(`第 ${i + 1} 级：距到期日工作日`, `Rung ${i + 1}: working days from the due date`)}
                    />
                    <span className="cs-muted">{pick(whenText(s.offset))}</span>
                  </Space>
                ),
              },
              {
                title: t('发给', 'Goes to'),
                key: 'levelsUp',
                render: (_, s, i) => (
                  <Select
                    style={{ width: 220 }}
                    value={s.levelsUp}
                    aria-label={t(`第 ${i + 1} 级：发给`, `Rung ${i + 1}: goes to`)}
                    onChange={(v: number) => change(s.key, { levelsUp: v })}
                    options={LEVELS.map((l) => ({ value: l, label: pick(whomText(l)) }))}
                  />
                ),
              },
              {
                title: '',
                key: 'remove',
                width: 90,
                render: (_, s, i) => (
                  <Button
                    danger
                    size="small"
                    autoInsertSpace={false}
                    onClick={() => setSteps(steps.filter((x) => x.key !== s.key))}
                    aria-label={t(`删除第 ${i + 1} 级`, `Remove rung ${i + 1}`)}
                  >
                    {t('删除', 'Remove')}
                  </Button>
                ),
              },
            ]}
          />
          <Space wrap>
            <Button onClick={add} disabled={steps.length >= MAX_STEPS}>
              {t('添加一级', 'Add a rung')}
            </Button>
            <Button onClick={() => (setSteps(rows(ladder.steps)), setError(null))}>{t('还原', 'Reset')}</Button>
            <Button type="primary" onClick={() => void save()} loading={busy}>
              {t(`保存为${org?.name ?? ''}的督办阶梯`, `Save as the ladder of ${org?.name ?? code}`)}
            </Button>
          </Space>
        </Space>
      )}
    </Card>
  );
}
