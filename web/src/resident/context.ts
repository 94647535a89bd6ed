import { useSyncExternalStore } from 'react';
import { createApi } from '../shared/api.ts';
import { createInsuranceApi } from '../shared/insurance-api.ts';
import { documentLang } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { createSessionStore } from '../shared/session.ts';

export const session = createSessionStore('yiban.resident.session', 'local');

export const api = createApi({
  lang: documentLang,
  account: () => session.get()?.account.id ?? null,
  onBehalfOf: () => session.get()?.onBehalfOf?.accountId ?? null,
  onUnauthorized: () => {
    session.clear();
    navigate('/login', { replace: true });
  },
});

/** 我的医保's endpoints (hand-typed until the generated client has them), with the same headers. */
export const insuranceApi = createInsuranceApi({
  lang: documentLang,
  account: () => session.get()?.account.id ?? null,
  onBehalfOf: () => session.get()?.onBehalfOf?.accountId ?? null,
  onUnauthorized: () => {
    session.clear();
    navigate('/login', { replace: true });
  },
});

/**
 * The inbox's unread count for the tab bar's badge: the app loads it on each page change, the
 * messages page sets it when a message is read (null: not known, e.g. a helper without the scope).
 */
export const unread = (() => {
  let count: number | null = null;
  const listeners = new Set<() => void>();
  const subscribe = (l: () => void) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  return {
    set(next: number | null) {
      if (next === count) return;
      count = next;
      for (const l of listeners) l();
    },
    use: () => useSyncExternalStore(subscribe, () => count),
  };
})();

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Dates as residents read them: 2026年12月3日. */
export function formatDate(iso: string | null, lang: 'zh' | 'en'): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00+08:00` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
}

export function formatDateTime(iso: string | null, lang: 'zh' | 'en'): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    hour12: false,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}
