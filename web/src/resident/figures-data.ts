/**
 * The public figures page's data (no login): a month's figures of an org from the API, the bundle,
 * and the log key pinned in this browser on first use (a later, different key from the server is
 * not taken silently). Verification is the same code as `yiban figures verify` (src/verify).
 */
import type { paths } from '../shared/api-types.ts';
import { verifyFiguresBundle, type FiguresBundle, type FiguresVerification } from '../../../src/verify/figures-bundle.ts';

export type OrgFigures = paths['/api/public/figures/{period}/orgs/{code}']['get']['responses'][200]['content']['application/json'];
export type FigureCell = OrgFigures['total'];

const VKEY_KEY = 'yiban.figures.logVkey';

export class FiguresError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(url: string, lang: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json', 'accept-language': lang } });
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const message = (body as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${response.status}`;
    throw new FiguresError(response.status, message);
  }
  return body as T;
}

export const orgFigures = (period: string, org: string, lang: string) =>
  getJson<OrgFigures>(`/api/public/figures/${encodeURIComponent(period)}/orgs/${encodeURIComponent(org)}`, lang);

/** The log key: the one this browser pinned, else the platform's trust list's (then pinned). */
export async function logVkey(): Promise<{ vkey: string | null; changed: boolean }> {
  let pinned: string | null = null;
  try {
    pinned = localStorage.getItem(VKEY_KEY);
  } catch {
    // storage disabled: the platform's key for this page only
  }
  let served: string | null = null;
  try {
    served = (await getJson<{ ledger?: { vkey?: string } }>('/api/trust', 'zh-CN')).ledger?.vkey ?? null;
  } catch {
    // offline: the pinned key alone
  }
  if (!pinned && served) {
    try {
      localStorage.setItem(VKEY_KEY, served);
    } catch {
      // not kept
    }
  }
  return { vkey: pinned ?? served, changed: pinned !== null && served !== null && pinned !== served };
}

/** Fetches the month's bundle and checks it as the CLI does: signature, range proof, boundaries, recomputation. */
export async function verifyPeriod(period: string, org: string, lang: string): Promise<FiguresVerification & { changedKey: boolean }> {
  const [{ vkey, changed }, bundle] = await Promise.all([
    logVkey(),
    getJson<FiguresBundle>(`/api/public/figures/${encodeURIComponent(period)}/bundle`, lang),
  ]);
  return { ...verifyFiguresBundle(bundle, vkey ?? undefined, { org }), changedKey: changed };
}

/** The last month whose figures should be out: the month before, once its delay has passed. */
export function defaultPeriod(now: Date, delayDays = 3): string {
  const china = new Date(now.getTime() + 8 * 3_600_000);
  const back = china.getUTCDate() > delayDays ? 1 : 2;
  const d = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - back, 1));
  return d.toISOString().slice(0, 7);
}
