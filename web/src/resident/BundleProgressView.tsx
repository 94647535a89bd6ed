import { DotLoading, List, Result, Steps, Tag } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import type { BundleProgress } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate } from './context.ts';
import { BUNDLE_STATE, BurdenCard, TASK_STATE } from './Bundles.tsx';
import './bundles.css';

/** Progress: each task's state, who has it, its due date, what it waits for, why it stopped. */
export function BundleProgressView({ id }: { id: string }) {
  const { t, lang, pick } = useI18n();
  const [bundle, setBundle] = useState<BundleProgress | null>(null);
  const [labels, setLabels] = useState<Record<string, { zh: string; en: string }>>({});
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setBundle(await api.bundle(id));
    } catch (e) {
      setError(errorText(e));
    }
  }, [id]);
  useEffect(() => void load(), [load]);
  // While departments work, read again every few seconds.
  useEffect(() => {
    if (!bundle || bundle.state === 'done') return;
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [bundle, load]);
  useEffect(() => {
    if (!bundle) return;
    api.bundlePreview(bundle.bundle.code).then(
      (p) => setLabels(Object.fromEntries(p.fields.map((f) => [f.name, { zh: f.labelZh, en: f.labelEn }]))),
      () => undefined,
    );
  }, [bundle?.bundle.code]);

  if (error) return <Result status="error" title={error} />;
  if (!bundle)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  const byKey = new Map(bundle.tasks.map((x) => [x.key, x]));
  const state = BUNDLE_STATE[bundle.state];
  const done = bundle.tasks.filter((x) => x.state === 'done').length;

  return (
    <div className="rs-page" data-testid="bundle-progress" data-state={bundle.state}>
      <div className="rs-service-head">
        <h2>{lang === 'zh' ? bundle.bundle.nameZh : bundle.bundle.nameEn}</h2>
        <Tag color={state.color}>{pick(state)}</Tag>
      </div>
      <div className="bd-summary">
        {t(`${bundle.tasks.length} 个事项，已办结 ${done} 个`, `${done} of ${bundle.tasks.length} services done`)}
      </div>
      <BurdenCard burden={bundle.burden} />
      <List header={t('各部门办理进度', 'Progress at each department')}>
        <div className="rs-steps">
          <Steps direction="vertical" current={-1}>
            {bundle.tasks.map((x) => {
              const s = TASK_STATE[x.state];
              const waitsFor = x.dependsOn.map((d) => byKey.get(d)).filter((d) => d && d.state !== 'done');
              return (
                <Steps.Step
                  key={x.key}
                  status={
                    x.state === 'done'
                      ? 'finish'
                      : x.state === 'rejected' || x.state === 'blocked'
                        ? 'error'
                        : x.state === 'in_progress'
                          ? 'process'
                          : 'wait'
                  }
                  title={
                    <span className="bd-task-title" data-testid={`task-${x.key}`} data-state={x.state}>
                      {pick(x.name)} <Tag color={s.color}>{pick(s)}</Tag>
                    </span>
                  }
                  description={
                    <div className="bd-task">
                      <div>
                        {t('办理部门', 'Handled by')}：{x.department?.name ?? '—'}
                        {x.caseNo ? ` · ${x.caseNo}` : ''}
                      </div>
                      <div>
                        {x.dueDate
                          ? t(
                              `承诺 ${x.timeLimitDays} 个工作日，${formatDate(x.dueDate, 'zh')}前办结`,
                              `${x.timeLimitDays} working days, due ${formatDate(x.dueDate, 'en')}`,
                            )
                          : t(`承诺 ${x.timeLimitDays} 个工作日（提交后起算）`, `${x.timeLimitDays} working days from submission`)}
                      </div>
                      {x.state === 'waiting' && waitsFor.length > 0 && (
                        <div className="bd-wait">
                          {t(
                            `等待：${waitsFor.map((d) => d!.name.zh).join('、')}办结后自动提交`,
                            `Waits for ${waitsFor.map((d) => d!.name.en).join(', ')}; submitted automatically once done`,
                          )}
                        </div>
                      )}
                      {x.state === 'in_progress' && (
                        <div className="bd-wait">
                          {t(`等待${x.department?.name ?? '部门'}审核`, `Waiting for ${x.department?.name ?? 'the department'} to decide`)}
                        </div>
                      )}
                      {x.decidedBy && (
                        <div>
                          {x.decidedBy.startsWith('rule:')
                            ? t(
                                '即办：部门即办规则自动审批（数据均已核验）',
                                'Instant approval by the department’s rule (all inputs verified)',
                              )
                            : t('工作人员审批', 'Decided by an officer')}
                        </div>
                      )}
                      {x.reason && (
                        <div className="bd-reason" role="alert" data-testid={`reason-${x.key}`}>
                          {pick(x.reason)}
                        </div>
                      )}
                      {x.output && (
                        <button type="button" className="bd-output" onClick={() => navigate(`/certs/${x.output!.certificateId}`)}>
                          {t('查看电子证照', 'View the certificate')} ›
                        </button>
                      )}
                    </div>
                  }
                />
              );
            })}
          </Steps>
        </div>
      </List>
      <List header={t('申请信息', 'Your application')}>
        {bundle.form.map((f) => (
          <List.Item
            key={f.name}
            extra={<span className="bd-value">{f.value ?? '—'}</span>}
            description={
              f.prefilled ? (
                <span className="bd-chip bd-chip-auto">{t('共享数据自动填写', 'From shared data')}</span>
              ) : (
                <span className="bd-chip">{t('本人填写', 'Typed by you')}</span>
              )
            }
          >
            {labels[f.name] ? pick(labels[f.name]!) : f.name}
          </List.Item>
        ))}
      </List>
      <List>
        <List.Item arrowIcon onClick={() => navigate('/data-use')}>
          {t('谁用了我的数据', 'Who used my data')}
        </List.Item>
        <List.Item arrowIcon onClick={() => navigate('/certs')}>
          {t('我的证照', 'My certificates')}
        </List.Item>
      </List>
    </div>
  );
}
