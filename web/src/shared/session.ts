import { useSyncExternalStore } from 'react';
import type { LoginResult } from './api.ts';

/**
 * The signed-in account of one app. `storage: 'local'` survives a reload (the resident's own
 * phone); 'memory' forgets everything when the page goes (kiosk: nothing remembered).
 */
export interface SessionState {
  token: string;
  account: LoginResult['account'];
  /** Helper mode: the resident acted for. */
  onBehalfOf?: { accountId: string; name: string; residentIdMasked: string } | null;
}

export function createSessionStore(key: string, storage: 'local' | 'session' | 'memory') {
  const backend = storage === 'local' ? globalThis.localStorage : storage === 'session' ? globalThis.sessionStorage : null;
  let state: SessionState | null = null;
  try {
    const text = backend?.getItem(key);
    state = text ? (JSON.parse(text) as SessionState) : null;
  } catch {
    state = null;
  }
  const listeners = new Set<() => void>();
  const set = (next: SessionState | null) => {
    state = next;
    try {
      if (next) backend?.setItem(key, JSON.stringify(next));
      else backend?.removeItem(key);
    } catch {
      // storage unavailable: memory only
    }
    for (const l of listeners) l();
  };
  const subscribe = (l: () => void) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  return {
    get: () => state,
    set,
    clear: () => set(null),
    use: () => useSyncExternalStore(subscribe, () => state),
  };
}
