import { useEffect, useState } from 'react';
import { useI18n } from './i18n.tsx';

/** GET /api/platform: public, nothing secret. */
export interface PlatformInfo {
  name: { zh: string; en: string };
  demo: boolean;
  needsBootstrap: boolean;
  /** The node lets residents log in with their national account (OpenID Connect through the hub). */
  oidcLogin?: boolean;
}

let loaded: Promise<PlatformInfo | null> | undefined;

/** Read once per page; null when the server cannot be reached (the verifier offline). */
export function loadPlatform(): Promise<PlatformInfo | null> {
  loaded ??= fetch('/api/platform', { headers: { accept: 'application/json' } })
    .then((r) => (r.ok ? (r.json() as Promise<PlatformInfo>) : null))
    .catch(() => null);
  return loaded;
}

export function usePlatform(): PlatformInfo | null {
  const [info, setInfo] = useState<PlatformInfo | null>(null);
  useEffect(() => {
    let live = true;
    void loadPlatform().then((i) => live && setInfo(i));
    return () => {
      live = false;
    };
  }, []);
  return info;
}

/** Shown by every web app in demo mode, so that nobody takes the demo for the real service. */
export function DemoBanner() {
  const { t } = useI18n();
  const info = usePlatform();
  if (!info?.demo) return null;
  return (
    <div className="yb-demo-banner" role="note" data-testid="demo-banner">
      {t('演示模式 · 演示账号与数据，请勿用于真实业务', 'Demo mode — demo accounts and data, not for real use')}
    </div>
  );
}
