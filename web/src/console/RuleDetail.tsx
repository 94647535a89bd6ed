import { Alert, App as AntApp, Button, Card, Input, Modal, Space, Spin, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Rule, RuleDryRun, RuleVersion } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, orgsFor, session } from './context.ts';
import { useOrgs } from './rule-common.tsx';
import { RuleDryRunResult } from './RuleDryRun.tsx';
import { RuleProposal } from './RuleProposal.tsx';
import { RuleVersionCard } from './RuleVersionCard.tsx';
import './sharing.css';

/** A rule's page: every version, newest first; a dry run of any, a new version, and switching a draft on. */
export function RuleDetail({ code }: { code: string }) {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const me = session.use();
  const [rule, setRule] = useState<Rule | null>(null);
  const [runs, setRuns] = useState<Record<number, RuleDryRun>>({});
  const [running, setRunning] = useState<number | null>(null);
  const [proposing, setProposing] = useState(false);
  const [activating, setActivating] = useState<RuleVersion | null>(null);

  const load = useCallback(async () => {
    try {
      setRule(await api.rule(code));
    } catch (e) {
      void message.error(errorText(e));
    }
  }, [code, message]);
  useEffect(() => void load(), [load]);

  const orgCode = rule?.versions[0]?.orgCode;
  const org = useOrgs(orgCode ? [orgCode] : [])[orgCode ?? ''];
  // The menus follow the policy the server told at login; the server checks every call again.
  const manage = !!org && orgsFor(me, 'rule.manage').some((c) => org.path.split('.').includes(c));
  if (!rule) return <Spin />;
  const versions = [...rule.versions].sort((a, b) => b.version - a.version);
  const base = versions.find((v) => v.status === 'active') ?? versions[0]!;
  const newest = versions[0]!;

  const dryRun = async (v: RuleVersion) => {
    setRunning(v.version);
    try {
      const run = await api.dryRunRule(code, v.version);
      setRuns((r) => ({ ...r, [v.version]: run }));
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setRunning(null);
    }
  };

  return (
    <Card
      className="bw-scope"
      title={
        <Space wrap>
          <a
            href="/console/rules"
            onClick={(e) => {
              e.preventDefault();
              navigate('/console/rules');
            }}
          >
            {t('规则', 'Rules')}
          </a>
          <span>/</span>
          <span>{lang === 'zh' ? newest.nameZh : newest.nameEn}</span>
          <Typography.Text code>{code}</Typography.Text>
        </Space>
      }
      extra={
        manage && (
          <Button type="primary" onClick={() => setProposing(true)}>
            {t('新版本', 'New version')}
          </Button>
        )
      }
    >
      <Typography.Paragraph className="cs-muted">
        {t('适用单位：', 'Applied by: ')}
        {org?.name ?? orgCode}
      </Typography.Paragraph>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {versions.map((v) => (
          <RuleVersionCard
            key={v.id}
            version={v}
            actions={
              manage && (
                <Space wrap>
                  <Button loading={running === v.version} onClick={() => void dryRun(v)}>
                    {t('试运行', 'Dry run')}
                  </Button>
                  {v.status === 'draft' && (
                    <Button type="primary" onClick={() => setActivating(v)}>
                      {t('启用', 'Switch on')}
                    </Button>
                  )}
                </Space>
              )
            }
          >
            {runs[v.version] && <RuleDryRunResult run={runs[v.version]!} version={v} />}
          </RuleVersionCard>
        ))}
      </Space>
      {proposing && (
        <RuleProposal
          from={base}
          onClose={() => setProposing(false)}
          onProposed={(v) => {
            setProposing(false);
            void message.success(t(`已提交第 ${v.version} 版（草稿）`, `Version ${v.version} submitted (draft)`));
            void load();
          }}
        />
      )}
      {activating && (
        <ActivateVersion
          version={activating}
          onClose={() => setActivating(null)}
          onActivated={(v) => {
            setActivating(null);
            void message.success(t(`第 ${v.version} 版已启用`, `Version ${v.version} is in force`));
            void load();
          }}
        />
      )}
    </Card>
  );
}

/** 启用: switches a draft on, with why; the server refuses the version's own author (four eyes), and says so. */
function ActivateVersion({
  version,
  onClose,
  onActivated,
}: {
  version: RuleVersion;
  onClose: () => void;
  onActivated: (v: RuleVersion) => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!reason.trim()) {
      setError(t('请填写启用理由', 'Give the reason for switching it on'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onActivated(await api.activateRule(version.ruleCode, version.version, reason));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t(`启用第 ${version.version} 版？`, `Switch on version ${version.version}?`)}
      okText={t('启用', 'Switch on')}
      cancelText={t('取消', 'Cancel')}
      confirmLoading={busy}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph>
        {t(
          '启用后，现行版本停用，此后的决定均按此版本作出。提出人本人不能启用。',
          'The version in force is retired and every decision from now on uses this one. Its author cannot switch it on.',
        )}
      </Typography.Paragraph>
      {error && <Alert type="error" showIcon message={error} data-testid="rule-activate-error" style={{ marginBottom: 12 }} />}
      <Input.TextArea
        rows={2}
        maxLength={500}
        aria-label={t('启用理由', 'Reason')}
        placeholder={t('启用理由（必填）', 'Why (required)')}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
    </Modal>
  );
}
