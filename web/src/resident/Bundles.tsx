import { Button, Checkbox, DotLoading, Empty, Input, List, NoticeBar, Result, Steps, Tag, Toast } from 'antd-mobile';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { newKey, type BundleDefinition, type BundlePreview, type BundleProgress, type Burden, type TaskState } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate } from './context.ts';
import { SENSITIVITY } from './data-use-text.ts';
import './bundles.css';

const TASK_STATE: Record<TaskState, { zh: string; en: string; color: string }> = {
  waiting: { zh: '等待前置事项', en: 'Waiting', color: 'default' },
  blocked: { zh: '无法继续', en: 'Blocked', color: 'danger' },
  in_progress: { zh: '办理中', en: 'In progress', color: 'primary' },
  returned: { zh: '退回补正', en: 'Returned', color: 'warning' },
  done: { zh: '已办结', en: 'Done', color: 'success' },
  rejected: { zh: '不予通过', en: 'Rejected', color: 'danger' },
};

const BUNDLE_STATE: Record<BundleProgress['state'], { zh: string; en: string; color: string }> = {
  open: { zh: '办理中', en: 'In progress', color: 'primary' },
  done: { zh: '全部办结', en: 'All done', color: 'success' },
  needs_attention: { zh: '需要处理', en: 'Needs attention', color: 'danger' },
};

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 100));

/** The burden figures as the parent reads them: what this saves against handling each item on its own. */
export function BurdenCard({ burden }: { burden: Burden }) {
  const { t } = useI18n();
  const typed = burden.fieldsTotal - burden.fieldsPrefilled;
  const cells = [
    { big: `${burden.forms}`, small: t(`张表（分别办 ${burden.formsSeparate} 张）`, `form (${burden.formsSeparate} separately)`) },
    {
      big: `${typed}`,
      small: t(
        `项需填写（${pct(burden.fieldsPrefilled, burden.fieldsTotal)}% 自动填）`,
        `fields to type (${pct(burden.fieldsPrefilled, burden.fieldsTotal)}% prefilled)`,
      ),
    },
    {
      big: `${burden.materialsBundle}`,
      small: t(`份材料（原 ${burden.materialsSeparate} 份）`, `materials (was ${burden.materialsSeparate})`),
    },
    { big: `${burden.trips}`, small: t('次跑腿', 'trips') },
    {
      big: burden.daysBundle === null ? `≤${burden.daysSeparate}` : `${burden.daysBundle}`,
      small:
        burden.daysBundle === null
          ? t('个工作日（分别办合计）', 'working days if separate')
          : t(`个工作日（原 ${burden.daysSeparate}）`, `working days (was ${burden.daysSeparate})`),
    },
  ];
  return (
    <section className="bd-burden" aria-label={t('减负情况', 'What this saves you')} data-testid="burden">
      {cells.map((c) => (
        <div key={c.small} className="bd-burden-cell">
          <div className="bd-burden-big">{c.big}</div>
          <div className="bd-burden-small">{c.small}</div>
        </div>
      ))}
    </section>
  );
}

/** 一件事一次办: the bundles on offer, and the parent's own. */
export function BundleList() {
  const { t, lang, pick } = useI18n();
  const [defs, setDefs] = useState<BundleDefinition[] | null>(null);
  const [mine, setMine] = useState<BundleProgress[]>([]);
  useEffect(() => {
    api.bundleDefinitions().then(setDefs, (e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
    api.myBundles().then(setMine, () => undefined);
  }, []);
  if (!defs)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  return (
    <div className="rs-page">
      <div className="bd-intro">
        <h2>{t('一件事一次办', 'One life event, one application')}</h2>
        <p>
          {t(
            '一张表、一次提交，多个部门并联办理，数据共享免交材料。',
            'One form, one submission: the departments work in parallel and share data instead of asking you for paper.',
          )}
        </p>
      </div>
      {defs.map((d) => {
        const typed = d.fields.filter((f) => f.source.kind === 'typed').length;
        return (
          <button
            key={d.code}
            type="button"
            className="bd-card"
            onClick={() => navigate(`/bundles/${d.code}`)}
            data-testid={`bundle-${d.code}`}
          >
            <span className="bd-card-name">{lang === 'zh' ? d.nameZh : d.nameEn}</span>
            <span className="bd-card-meta">
              {t(
                `${d.tasks.length} 个事项一次办 · 仅需填写 ${typed} 项`,
                `${d.tasks.length} services at once · only ${typed} field${typed === 1 ? '' : 's'} to type`,
              )}
            </span>
            <span className="bd-card-go" aria-hidden="true">
              ›
            </span>
          </button>
        );
      })}
      <List header={t('我的一件事', 'My life events')}>
        {mine.length === 0 && <List.Item>{t('还没有办理', 'None yet')}</List.Item>}
        {mine.map((b) => (
          <List.Item
            key={b.id}
            arrowIcon
            onClick={() => navigate(`/bundles/progress/${b.id}`)}
            description={`${formatDate(b.createdAt, lang)} · ${t(`${b.tasks.filter((x) => x.state === 'done').length}/${b.tasks.length} 项办结`, `${b.tasks.filter((x) => x.state === 'done').length}/${b.tasks.length} done`)}`}
            extra={<Tag color={BUNDLE_STATE[b.state].color}>{pick(BUNDLE_STATE[b.state])}</Tag>}
          >
            {lang === 'zh' ? b.bundle.nameZh : b.bundle.nameEn}
          </List.Item>
        ))}
      </List>
    </div>
  );
}

/**
 * The one merged form, then the consent preview, then the submission. Fields a dataset holds are
 * shown with their source and are not typed; the parent types only the rest.
 */
export function BundleApply({ code }: { code: string }) {
  const { t, lang, pick } = useI18n();
  const [preview, setPreview] = useState<BundlePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [step, setStep] = useState<'form' | 'consent'>('form');
  const [consent, setConsent] = useState(false);
  const [busy, setBusy] = useState(false);
  const key = useMemo(() => newKey(), []);

  useEffect(() => {
    api.bundlePreview(code).then(setPreview, (e: unknown) => setError(errorText(e)));
  }, [code]);
  const goTo = (next: 'form' | 'consent') => {
    setStep(next);
    window.scrollTo(0, 0);
  };

  if (error) return <Result status="error" title={error} />;
  if (!preview)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );

  const name = lang === 'zh' ? preview.bundle.nameZh : preview.bundle.nameEn;
  const typed = preview.fields.filter((f) => f.source === 'typed');
  const fetched = preview.fields.filter((f) => f.source === 'dataset');
  const missing = typed.filter((f) => f.required && !values[f.name]?.trim());
  const materials = preview.tasks.flatMap((x) => x.materials);
  const ungranted = preview.exchanges.filter((x) => !x.granted);

  const submit = async () => {
    setBusy(true);
    try {
      const form: Record<string, string> = {};
      for (const f of typed) if (values[f.name]?.trim()) form[f.name] = values[f.name]!.trim();
      const started = await api.startBundle({ bundle: code, form, consent: true }, key);
      navigate(`/bundles/progress/${started.id}`, { replace: true });
    } catch (e) {
      Toast.show({ icon: 'fail', content: errorText(e) });
      setBusy(false);
    }
  };

  if (step === 'consent') {
    return (
      <div className="rs-page" data-testid="consent-preview">
        <div className="bd-step-head">
          <span className="bd-step-no">2/2</span>
          <h2>{t('确认数据使用', 'Confirm the use of your data')}</h2>
          <p>
            {t(
              '提交后，以下部门将为办理本件事调取这些数据。平台只记录调取的事实与摘要，不另存数据。',
              'Once you submit, these departments fetch this data to handle your application. The platform records that they did (with digests), not the data itself.',
            )}
          </p>
        </div>
        {preview.exchanges.map((x) => (
          <section key={`${x.task.key}-${x.dataset.code}-${x.purpose}`} className="bd-consent" data-testid="consent-item">
            <div className="bd-consent-who">
              <strong>{x.consumer?.name ?? t('（未找到办理部门）', '(no handling department found)')}</strong>
              <span>{t('将调取', 'will fetch from')}</span>
              <strong>{x.provider.name}</strong>
            </div>
            <dl className="bd-dl">
              <dt>{t('数据', 'Data')}</dt>
              <dd>{lang === 'zh' ? x.dataset.nameZh : x.dataset.nameEn}</dd>
              <dt>{t('字段', 'Fields')}</dt>
              <dd>
                {x.fields.map((f) => (
                  <span key={f.name} className={`bd-field bd-sens-${f.sensitivity}`}>
                    {lang === 'zh' ? f.labelZh : f.labelEn}
                    <small>{pick(SENSITIVITY[f.sensitivity])}</small>
                  </span>
                ))}
              </dd>
              <dt>{t('用途', 'Purpose')}</dt>
              <dd>{t(`办理「${x.task.name.zh}」`, `to handle “${x.task.name.en}”`)}</dd>
              <dt>{t('办件', 'Case')}</dt>
              <dd>
                {t(
                  `本件事中的「${x.task.name.zh}」办件（提交时编号）`,
                  `the “${x.task.name.en}” case of this application (numbered on submission)`,
                )}
              </dd>
              <dt>{t('依据', 'Basis')}</dt>
              <dd>{x.legalBasis ?? t('无有效共享授权', 'no live grant')}</dd>
            </dl>
            <div className={x.consentRequired ? 'bd-mode bd-mode-consent' : 'bd-mode bd-mode-law'}>
              {x.consentRequired
                ? t('需经您同意后调取', 'Fetched only with your consent')
                : t('法定共享：依法无需单独授权，仍向您告知', 'Shared by law: no separate consent needed; you are told all the same')}
            </div>
          </section>
        ))}
        {ungranted.length > 0 && (
          <NoticeBar
            color="alert"
            wrap
            content={t(
              '部分数据暂无共享授权，提交后将无法自动获取，请联系办理部门。',
              'Some data has no live grant and cannot be fetched; contact the department.',
            )}
          />
        )}
        <div className="bd-agree">
          <Checkbox checked={consent} onChange={setConsent} data-testid="consent-check">
            {t(
              '我已查看以上数据使用说明，同意各部门为办理本件事调取上述数据。',
              'I have read the above and agree that these departments fetch this data to handle this application.',
            )}
          </Checkbox>
        </div>
        <div className="bd-actions">
          <Button block size="large" onClick={() => goTo('form')}>
            {t('返回修改', 'Back to the form')}
          </Button>
          <Button block size="large" color="primary" disabled={!consent} loading={busy} onClick={() => void submit()}>
            {t('同意并提交', 'Agree and submit')}
          </Button>
        </div>
      </div>
    );
  }

  return (
    <div className="rs-page">
      <div className="bd-step-head">
        <span className="bd-step-no">1/2</span>
        <h2>{name}</h2>
        <p>
          {t(
            `共 ${preview.fields.length} 项信息，${fetched.length} 项由部门共享数据自动填写，您只需填写 ${typed.length} 项。`,
            `${preview.fields.length} fields: ${fetched.length} come from the departments' shared data; you type ${typed.length}.`,
          )}
        </p>
      </div>
      <BurdenCard burden={preview.burden} />
      <List header={t('自动填写（无需录入）', 'Filled in for you')}>
        {fetched.map((f) => (
          <List.Item
            key={f.name}
            data-testid={`prefilled-${f.name}`}
            description={t(
              `来源：${f.provider?.name ?? ''}「${f.dataset?.nameZh ?? ''}」`,
              `From ${f.provider?.name ?? ''}: ${f.dataset?.nameEn ?? ''}`,
            )}
            extra={<span className="bd-chip bd-chip-auto">{t('自动获取', 'Prefilled')}</span>}
          >
            {lang === 'zh' ? f.labelZh : f.labelEn}
          </List.Item>
        ))}
      </List>
      <List header={t('需要您填写', 'For you to fill in')}>
        {typed.map((f) => {
          const label = lang === 'zh' ? f.labelZh : f.labelEn;
          return (
            <List.Item key={f.name} description={f.required ? t('必填', 'Required') : t('选填', 'Optional')}>
              <label className="bd-input-label" htmlFor={`bd-${f.name}`}>
                {label}
              </label>
              <Input
                id={`bd-${f.name}`}
                placeholder={t(`请输入${f.labelZh}`, label)}
                value={values[f.name] ?? ''}
                onChange={(v) => setValues({ ...values, [f.name]: v })}
                maxLength={f.maxLength ?? 100}
              />
            </List.Item>
          );
        })}
      </List>
      <List header={t('将一次办好', 'What you will get')}>
        {preview.tasks.map((x) => (
          <List.Item
            key={x.key}
            description={`${x.department?.name ?? '—'} · ${t(`${x.timeLimitDays} 个工作日`, `${x.timeLimitDays} working days`)}`}
          >
            {pick(x.name)}
          </List.Item>
        ))}
      </List>
      {materials.length > 0 && (
        <List header={t('仍需提供的材料', 'Materials still needed')}>
          {materials.map((m) => (
            <List.Item key={m.code} description={t('其余材料由部门间共享获取，免提交', 'Everything else is shared between departments')}>
              {lang === 'zh' ? m.nameZh : m.nameEn}
            </List.Item>
          ))}
        </List>
      )}
      <div className="bd-actions">
        <Button
          block
          size="large"
          color="primary"
          onClick={() => {
            if (missing.length > 0) {
              Toast.show({
                content: t(`请填写${missing.map((f) => f.labelZh).join('、')}`, `Fill in ${missing.map((f) => f.labelEn).join(', ')}`),
              });
              return;
            }
            goTo('consent');
          }}
        >
          {t('下一步：确认数据使用', 'Next: confirm the use of your data')}
        </Button>
      </div>
    </div>
  );
}

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

export function NoBundle() {
  const { t } = useI18n();
  return <Empty description={t('没有这件事', 'No such life event')} />;
}
