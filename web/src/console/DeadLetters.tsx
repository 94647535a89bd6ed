import { App as AntApp, Alert, Button, Table, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { DeadLetter } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { api, errorText, formatDateTime } from './context.ts';

/** 失败事件: events whose handlers failed every attempt; the platform administrator retries them. */
export function DeadLetters() {
  const { t, lang } = useI18n();
  const { message } = AntApp.useApp();
  const [items, setItems] = useState<DeadLetter[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  const load = useCallback(() => {
    api.deadLetters().then(
      (r) => {
        setItems(r.items);
        setError(null);
      },
      (e: unknown) => {
        setItems([]);
        setError(errorText(e));
      },
    );
  }, []);
  useEffect(load, [load]);

  const retry = async (id: number) => {
    setBusy(id);
    try {
      await api.retryDeadLetter(id);
      void message.success(t('已重新排队，将由后台重新处理', 'Queued again: the worker will handle it'));
      load();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <Typography.Title level={3}>{t('失败事件', 'Dead letters')}</Typography.Title>
      <Typography.Paragraph className="cs-muted">
        {t(
          '多次重试仍未处理成功的事件。排除原因后点“重试”：已成功的处理程序不会重复执行，重试人会被记录。',
          'Events that failed every attempt. Once the cause is fixed, retry: handlers already done are not run again, and who retried is recorded.',
        )}
      </Typography.Paragraph>
      {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
      <Table<DeadLetter>
        rowKey="id"
        loading={items === null}
        dataSource={items ?? []}
        pagination={false}
        locale={{ emptyText: t('没有失败事件', 'No dead letters') }}
        columns={[
          { title: t('编号', 'ID'), dataIndex: 'id', width: 80 },
          { title: t('主题', 'Topic'), dataIndex: 'topic' },
          {
            title: t('内容（仅编号与代码）', 'Payload (ids and codes)'),
            dataIndex: 'payload',
            render: (p: DeadLetter['payload']) => <Typography.Text code>{JSON.stringify(p)}</Typography.Text>,
          },
          { title: t('尝试次数', 'Attempts'), dataIndex: 'attempts', width: 100 },
          { title: t('最后错误', 'Last error'), dataIndex: 'lastError', render: (e: string | null) => e ?? '—' },
          { title: t('产生时间', 'Created'), dataIndex: 'createdAt', render: (v: string) => formatDateTime(v, lang) },
          { title: t('失败时间', 'Failed'), dataIndex: 'deadAt', render: (v: string) => formatDateTime(v, lang) },
          {
            title: t('操作', 'Action'),
            key: 'retry',
            render: (_: unknown, row) => (
              <Button size="small" loading={busy === row.id} onClick={() => void retry(row.id)}>
                {t('重试', 'Retry')}
              </Button>
            ),
          },
        ]}
      />
    </>
  );
}
