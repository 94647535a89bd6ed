import { Button, DotLoading, Input, List, Result } from 'antd-mobile';
import { useEffect, useState } from 'react';
import { FIGURES_REASON_TEXT, type FiguresVerification } from '../../../src/verify/figures-bundle.ts';
import { useI18n } from '../shared/i18n.tsx';
import { defaultPeriod, orgFigures, verifyPeriod, type FigureCell, type OrgFigures } from './figures-data.ts';

const ROWS: { key: keyof FigureCell; zh: string; en: string; rate?: boolean }[] = [
  { key: 'ratings', zh: '评价数', en: 'Ratings' },
  { key: 'goodRate', zh: '好评率', en: 'Good-rating rate', rate: true },
  { key: 'bad', zh: '差评数', en: 'Bad ratings' },
  { key: 'rectifiedOnTimeRate', zh: '差评按期整改率', en: 'Rectified on time', rate: true },
  { key: 'callbackRate', zh: '实名差评回访率', en: 'Callback rate (real-name bad ratings)', rate: true },
  { key: 'escalated', zh: '超期升级', en: 'Escalated when overdue' },
  { key: 'overturned', zh: '申诉撤销', en: 'Set aside on appeal' },
];

/** How a value reads: a suppressed count as "少于 k", a rate as a percentage, none as a dash. */
export function cellText(v: FigureCell[keyof FigureCell], k: number, rate: boolean, t: (zh: string, en: string) => string): string {
  if (v === 'suppressed') return t(`少于${k}，不公布`, `fewer than ${k}, not shown`);
  if (v === null) return '—';
  return rate ? `${(v * 100).toFixed(1)}%` : String(v);
}

function Cell({ cell, k }: { cell: FigureCell; k: number }) {
  const { t } = useI18n();
  return (
    <List>
      {ROWS.map((r) => (
        <List.Item key={r.key} extra={<span data-figure={r.key}>{cellText(cell[r.key], k, r.rate ?? false, t)}</span>}>
          {t(r.zh, r.en)}
        </List.Item>
      ))}
    </List>
  );
}

function Verdict({ result }: { result: (FiguresVerification & { changedKey: boolean }) | null }) {
  const { t } = useI18n();
  if (!result) return null;
  if (result.status === 'VALID')
    return (
      <Result
        status="success"
        title={t('验证通过：数字由账本重新算出', 'VALID: recomputed from the ledger')}
        description={t(
          `${result.ratingLeaves} 条评价记录，账本条目 ${result.range.first}–${result.range.end - 1}，签名检查点 ${result.size}`,
          `${result.ratingLeaves} rating leaves, ledger entries ${result.range.first}–${result.range.end - 1}, signed checkpoint of ${result.size}`,
        )}
      />
    );
  const words = FIGURES_REASON_TEXT[result.reason];
  return (
    <Result
      status={result.status === 'INVALID' ? 'error' : 'warning'}
      title={result.status === 'INVALID' ? t('验证失败', 'INVALID') : t('无法确定', 'INDETERMINATE')}
      description={`${t(words.zh, words.en)}: ${result.detail}${result.changedKey ? t('（账本公钥与本机保存的不同）', ' (the log key differs from the one this browser pinned)') : ''}`}
    />
  );
}

/** 好差评公开数字: an org's figures for a month, no login, and a button that recomputes them from the ledger in this browser. */
export function FiguresPage({ initialOrg }: { initialOrg?: string }) {
  const { t, lang } = useI18n();
  const [period, setPeriod] = useState(() => new URLSearchParams(location.search).get('period') ?? defaultPeriod(new Date()));
  const [org, setOrg] = useState(() => initialOrg ?? new URLSearchParams(location.search).get('org') ?? '130123');
  const [data, setData] = useState<OrgFigures | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const [result, setResult] = useState<(FiguresVerification & { changedKey: boolean }) | null>(null);

  const load = () => {
    if (!/^\d{4}-\d{2}$/.test(period) || !org) return;
    setLoading(true);
    setResult(null);
    setError(null);
    orgFigures(period, org, lang)
      .then(setData)
      .catch((e: unknown) => {
        setData(null);
        setError(e instanceof Error ? e.message : String(e));
      })
      .finally(() => setLoading(false));
  };
  useEffect(load, []);

  const verify = () => {
    setVerifying(true);
    verifyPeriod(period, org, lang)
      .then(setResult)
      .catch((e: unknown) =>
        setResult({ status: 'INDETERMINATE', reason: 'MALFORMED', detail: e instanceof Error ? e.message : String(e), changedKey: false }),
      )
      .finally(() => setVerifying(false));
  };

  return (
    <div className="rs-page rs-figures">
      <p className="rs-figures-intro">
        {t(
          '各单位好差评数字按月公布：不含任何个人信息，时间取整到小时，月末后延迟公布，少于 k 的数字不公布。数字可由任何人从账本重新计算验证。',
          'Rating figures per org, published monthly: no personal data, times rounded to the hour, published after a delay, counts below k suppressed. Anyone can recompute them from the ledger.',
        )}
      </p>
      <List>
        <List.Item title={t('统计月份', 'Month')}>
          <Input aria-label={t('统计月份', 'Month')} value={period} onChange={setPeriod} placeholder="2026-11" />
        </List.Item>
        <List.Item title={t('单位代码', 'Org code')}>
          <Input aria-label={t('单位代码', 'Org code')} value={org} onChange={(v) => setOrg(v.trim())} placeholder="130123" />
        </List.Item>
      </List>
      <div className="rs-figures-actions">
        <Button color="primary" onClick={load} loading={loading}>
          {t('查看', 'Show')}
        </Button>
        <Button onClick={verify} loading={verifying} disabled={!data}>
          {t('验证', 'Verify')}
        </Button>
      </div>
      {loading && <DotLoading />}
      {error && <Result status="info" title={t('暂无数字', 'No figures')} description={error} />}
      {data && (
        <>
          <h2 className="rs-figures-org">
            {data.org.name} · {data.period}
          </h2>
          <Cell cell={data.total} k={data.k} />
          {data.services.map((s) => (
            <section key={s.code}>
              <h3 className="rs-figures-service">{t(s.name.zh, s.name.en)}</h3>
              <Cell cell={s.figures} k={data.k} />
            </section>
          ))}
          <p className="rs-figures-note">
            {t(
              `统计至 ${data.cutoff.slice(0, 10)}（月末后 ${data.delayDays} 天）。按时办结率等办件指标见各级督查看板，不由评价记录推出。`,
              `Steps counted until ${data.cutoff.slice(0, 10)} (${data.delayDays} days after the month). On-time completion of cases is on the supervision dashboards: it does not follow from the rating records.`,
            )}
          </p>
        </>
      )}
      <Verdict result={result} />
    </div>
  );
}
