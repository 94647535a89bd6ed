import { DotLoading, Empty, List, Tag, Toast } from 'antd-mobile';
import { useEffect, useState } from 'react';
import type { BundleDefinition, BundleProgress, Burden, TaskState } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate } from './context.ts';
import './bundles.css';

export const TASK_STATE: Record<TaskState, { zh: string; en: string; color: string }> = {
  waiting: { zh: '等待前置事项', en: 'Waiting', color: 'default' },
  blocked: { zh: '无法继续', en: 'Blocked', color: 'danger' },
  in_progress: { zh: '办理中', en: 'In progress', color: 'primary' },
  returned: { zh: '退回补正', en: 'Returned', color: 'warning' },
  done: { zh: '已办结', en: 'Done', color: 'success' },
  rejected: { zh: '不予通过', en: 'Rejected', color: 'danger' },
};

export const BUNDLE_STATE: Record<BundleProgress['state'], { zh: string; en: string; color: string }> = {
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

export function NoBundle() {
  const { t } = useI18n();
  return <Empty description={t('没有这件事', 'No such life event')} />;
}
