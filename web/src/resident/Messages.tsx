import { DotLoading, Empty, List, Toast } from 'antd-mobile';
import { useEffect, useState } from 'react';
import type { InboxMessage } from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime, unread } from './context.ts';

/** 消息: the resident's notices, newest first; opening one marks it read and follows its link. */
export function MessageList() {
  const { t, pick, lang } = useI18n();
  const [items, setItems] = useState<InboxMessage[] | null>(null);
  const [next, setNext] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .inbox()
      .then((p) => {
        if (!live) return;
        setItems(p.items);
        setNext(p.next);
        unread.set(p.unreadCount);
      })
      .catch((e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
    return () => {
      live = false;
    };
  }, []);

  async function open(message: InboxMessage) {
    if (!message.readAt) {
      try {
        const read = await api.markRead(message.id);
        setItems((list) => list?.map((m) => (m.id === message.id ? { ...m, readAt: read.readAt } : m)) ?? list);
        unread.set(read.unreadCount);
      } catch (e) {
        Toast.show({ icon: 'fail', content: errorText(e) });
        return;
      }
    }
    if (message.link) navigate(message.link);
  }

  if (!items)
    return (
      <div className="rs-center">
        <DotLoading />
      </div>
    );
  if (items.length === 0) return <Empty description={t('还没有消息', 'No messages yet')} />;
  return (
    <List header={t('我的消息', 'My messages')} data-testid="inbox">
      {items.map((m) => (
        <List.Item
          key={m.id}
          onClick={() => void open(m)}
          arrowIcon={Boolean(m.link)}
          data-testid="inbox-message"
          data-read={m.readAt ? 'yes' : 'no'}
          prefix={
            m.readAt ? (
              <span className="rs-dot rs-dot-read" aria-hidden="true" />
            ) : (
              <span className="rs-dot" role="img" aria-label={t('未读', 'Unread')} />
            )
          }
          description={
            <>
              <span className="rs-message-body">{pick(m.body)}</span>
              <span className="rs-message-time">{formatDateTime(m.createdAt, lang)}</span>
            </>
          }
        >
          <span className={m.readAt ? undefined : 'rs-message-unread'}>{pick(m.title)}</span>
        </List.Item>
      ))}
      {next && (
        <List.Item
          onClick={() =>
            void api.inbox({ cursor: next }).then((p) => {
              setItems([...items, ...p.items]);
              setNext(p.next);
            })
          }
        >
          {t('加载更多', 'Load more')}
        </List.Item>
      )}
    </List>
  );
}
