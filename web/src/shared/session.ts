import { useSyncExternalStore } from 'react';
import type { LoginResult } from './api.ts';

/**
 * Who is signed in to one app, for the screen. The session itself is the server's HttpOnly cookie,
 * which no script reads; this only remembers the account shown. `storage: 'local'` survives a
 * reload (the resident's own phone); 'memory' forgets everything when the page goes (kiosk).
 */
export interface SessionState {
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
  // A state from an older version of the app still holds a bearer token: drop it from storage.
  if (state && 'token' in state) {
    const { token: _token, ...rest } = state as SessionState & { token?: unknown };
    set(rest);
  }
  return {
    get: () => state,
    set,
    clear: () => set(null),
    use: () => useSyncExternalStore(subscribe, () => state),
  };
}
