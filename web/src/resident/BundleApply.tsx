import { Button, Checkbox, DotLoading, Input, List, NoticeBar, Result, Toast } from 'antd-mobile';
import { useEffect, useMemo, useState } from 'react';
import { newKey, type BundlePreview } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText } from './context.ts';
import { SENSITIVITY } from './data-use-text.ts';
import { BurdenCard } from './Bundles.tsx';
import './bundles.css';

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
