/** 秒批: what an instant-approval rule decided on the case, and why; what failed or was missing is the officer's to check. */
import { Card, Descriptions, Tag } from 'antd';
import type { CaseDetail } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { formatDateTime } from './context.ts';

type Decision = NonNullable<CaseDetail['ruleDecisions']>[number];

const OUTCOME: Record<Decision['outcome'], { color: string; zh: string; en: string }> = {
  eligible: { color: 'green', zh: '规则核准', en: 'Approved by the rule' },
  ineligible: { color: 'orange', zh: '条件未满足，请人工审核', en: 'A condition is not met: a person decides' },
  undetermined: { color: 'gold', zh: '数据不足，请人工审核', en: 'Not enough data: a person decides' },
};

export function RuleDecisions({ decisions }: { decisions: CaseDetail['ruleDecisions'] }) {
  const { t, pick, lang } = useI18n();
  if (!decisions || decisions.length === 0) return null;
  return (
    <Card title={t('秒批规则判定', 'Instant-approval rule')} variant="borderless">
      {decisions.map((d) => (
        <Descriptions key={`${d.rule}-${d.version}`} column={1} size="small">
          <Descriptions.Item label={t('规则', 'Rule')}>
            {d.rule} · {t(`第 ${d.version} 版`, `v${d.version}`)} · {formatDateTime(d.decidedAt, lang)}
          </Descriptions.Item>
          <Descriptions.Item label={t('结果', 'Outcome')}>
            <Tag color={OUTCOME[d.outcome].color}>{pick(OUTCOME[d.outcome])}</Tag>
          </Descriptions.Item>
          {d.failed.length > 0 && (
            <Descriptions.Item label={t('未满足的条件', 'Conditions not met')}>{d.failed.map((f) => pick(f)).join('；')}</Descriptions.Item>
          )}
          {d.missing.length > 0 && <Descriptions.Item label={t('缺少的数据', 'Data missing')}>{d.missing.join(', ')}</Descriptions.Item>}
          {d.unavailable.map((u) => (
            <Descriptions.Item key={u.dataset} label={u.dataset}>
              {pick(u.reason)}
            </Descriptions.Item>
          ))}
        </Descriptions>
      ))}
    </Card>
  );
}
