import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

/** Chinese first, English on request; the choice is kept per browser (never on a kiosk). */
export type Lang = 'zh' | 'en';

const STORAGE_KEY = 'yiban.lang';

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  /** The text in the current language: t('登录', 'Log in'). */
  t: (zh: string, en: string) => string;
  /** Picks from a bilingual object the API returns ({ zh, en }). */
  pick: (text: { zh: string; en: string }) => string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(remember: boolean): Lang {
  if (!remember) return 'zh';
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function I18nProvider({ children, remember = true }: { children: ReactNode; remember?: boolean }) {
  const [lang, setLangState] = useState<Lang>(() => initialLang(remember));
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const setLang = useCallback(
    (next: Lang) => {
      setLangState(next);
      if (remember) {
        try {
          localStorage.setItem(STORAGE_KEY, next);
        } catch {
          // private mode: the choice lasts for this page only
        }
      }
    },
    [remember],
  );
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang,
      t: (zh, en) => (lang === 'zh' ? zh : en),
      pick: (text) => (lang === 'zh' ? text.zh : text.en),
    }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

/** A two-state button: 中文 / EN. */
export function LangSwitch({ className }: { className?: string }) {
  const { lang, setLang } = useI18n();
  return (
    <button
      type="button"
      className={className ?? 'yb-lang'}
      onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
      title={lang === 'zh' ? 'Switch to English' : '切换到中文'}
      lang={lang === 'zh' ? 'en' : 'zh-CN'}
      data-testid="lang-switch"
    >
      {lang === 'zh' ? 'EN' : '中文'}
    </button>
  );
}

/** The page language outside React (for the API client's Accept-Language). */
export function documentLang(): Lang {
  return document.documentElement.lang.startsWith('en') ? 'en' : 'zh';
}
