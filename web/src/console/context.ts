import { useEffect, useState } from 'react';
import { createApi, type StaffAction } from '../shared/api.ts';
import { createInsuranceApi } from '../shared/insurance-api.ts';
import { documentLang } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { createSessionStore, type SessionState } from '../shared/session.ts';

/** Staff sessions last for the browser tab only. */
export const session = createSessionStore('yiban.console.session', 'session');
// A tab signed in before the login answer carried capabilities: sign in again, so that the pages can read them.
const stored = session.get();
if (stored && !('capabilities' in stored.account)) session.clear();

/**
 * The orgs where the signed-in account may do `action` (at or below each), as the server's policy
 * (policy.ts) told the console at login: what menus and pages show. The server still checks every call.
 */
export function orgsFor(me: SessionState | null, action: StaffAction): string[] {
  return me?.account.capabilities[action] ?? [];
}

export const api = createApi({
  lang: documentLang,
  account: () => session.get()?.account.id ?? null,
  onUnauthorized: () => {
    session.clear();
    navigate('/console/login', { replace: true });
  },
});

/** The medical insurance endpoints (hand-typed until the generated client has them), with the same headers. */
export const insuranceApi = createInsuranceApi({
  lang: documentLang,
  account: () => session.get()?.account.id ?? null,
  onUnauthorized: () => {
    session.clear();
    navigate('/console/login', { replace: true });
  },
});

/** Where the account may act for a pooling region's bureau (the generated Capabilities type predates these actions). */
export function insuranceOrgs(me: SessionState | null, action: 'insurance.view' | 'insurance.manage'): string[] {
  return (me?.account.capabilities as Partial<Record<string, string[]>> | undefined)?.[action] ?? [];
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

export const ROLE_TEXT: Record<string, { zh: string; en: string }> = {
  village_reviewer: { zh: '村两委审核员', en: 'Village reviewer' },
  township_admin: { zh: '乡镇管理员', en: 'Township administrator' },
  county_admin: { zh: '县级管理员', en: 'County administrator' },
  city_admin: { zh: '市级管理员', en: 'City administrator' },
  department_officer: { zh: '部门经办人', en: 'Department officer' },
  supervisor: { zh: '督查员', en: 'Supervisor' },
  platform_admin: { zh: '平台管理员', en: 'Platform administrator' },
  helper: { zh: '帮办代办员', en: 'Helper' },
  hospital_window: { zh: '医院医保窗口', en: 'Hospital insurance window' },
};

export const LEVEL_TEXT: Record<string, { zh: string; en: string }> = {
  province: { zh: '省', en: 'Province' },
  city: { zh: '市', en: 'City' },
  county: { zh: '县（市、区）', en: 'County' },
  township: { zh: '乡镇（街道）', en: 'Township' },
  village: { zh: '村（社区）', en: 'Village' },
  department: { zh: '部门', en: 'Department' },
};

/** One query parameter of the address, read again whenever the app navigates. */
export function useSearchParam(name: string): string | undefined {
  const read = () => new URLSearchParams(location.search).get(name) ?? undefined;
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return value;
}

/** The node's role in a federation, asked once per page load: a standalone node answers 404 (none). */
let nodeRole: Promise<'hub' | 'province' | null> | null = null;

/** Whether this console runs on a federation hub (成员审批 is the hub's only); false until known, and on any failure. */
export function useIsHub(enabled: boolean): boolean {
  const [hub, setHub] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    nodeRole ??= api.federationNode().then(
      (node) => node.role,
      () => null,
    );
    let live = true;
    void nodeRole.then((role) => live && setHub(role === 'hub'));
    return () => {
      live = false;
    };
  }, [enabled]);
  return enabled && hub;
}
