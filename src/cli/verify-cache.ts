/**
 * What `yiban verify --platform URL` keeps between calls, under the user's cache folder
 * (`$YIBAN_CACHE_DIR`, else `$XDG_CACHE_HOME/yiban`, else `~/.cache/yiban`), one folder per
 * platform: the trust list (pinned on first use, refreshed daily when the platform answers) and
 * the signed status list credentials by id. A kept list is used without asking again while it is
 * fresh (`maxAgeMs`, default 60 s, as long as the platform's own cache headers) and still valid; when the platform cannot be reached, a
 * kept list is used until its `validUntil` — after that the verifier says INDETERMINATE and why.
 * Nothing here decides trust: every list is checked against the trust list by src/verify.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { AppError } from '../core/errors.ts';
import type { TrustAnchors } from '../verify/verify-certificate.ts';

const DAY = 86_400_000;
const FETCH_TIMEOUT_MS = 5000;

function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.YIBAN_CACHE_DIR) return env.YIBAN_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'yiban');
}

interface Kept<T> {
  fetchedAt: number;
  value: T;
}

export interface PlatformCacheOptions {
  platform: string;
  root?: string;
  /** Use no network: only what is kept. */
  offline?: boolean;
  /** How long a kept status list is used without asking again. */
  maxAgeMs?: number;
  now?: () => number;
}

export function createPlatformCache(options: PlatformCacheOptions) {
  const platform = options.platform.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const url = new URL(platform);
  const dir = path.join(
    options.root ?? cacheRoot(),
    `${url.host.replace(/[^A-Za-z0-9.-]/g, '_')}-${createHash('sha256').update(platform).digest('hex').slice(0, 8)}`,
  );

  const read = <T>(name: string): Kept<T> | null => {
    try {
      return JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Kept<T>;
    } catch {
      return null;
    }
  };
  const write = (name: string, value: unknown): void => {
    try {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, name);
      writeFileSync(`${file}.tmp`, JSON.stringify({ fetchedAt: now(), value }));
      renameSync(`${file}.tmp`, file);
    } catch {
      // an unwritable cache only costs a fetch next time
    }
  };

  async function getJson(target: string): Promise<unknown> {
    const response = await fetch(target, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  return {
    dir,
    platform,

    /** The platform's trust list: kept, or fetched (and kept) when there is none or it is a day old. */
    async trust(): Promise<TrustAnchors> {
      const kept = read<TrustAnchors>('trust.json');
      if (kept && (options.offline || now() - kept.fetchedAt < DAY)) return kept.value;
      if (options.offline && !kept) throw new AppError('PLATFORM_UNREACHABLE', { url: platform, reason: 'offline' });
      try {
        const value = (await getJson(`${platform}/api/trust`)) as TrustAnchors;
        if (value?.version !== 1 || !Array.isArray(value.roots)) throw new Error('not a trust list');
        write('trust.json', value);
        return value;
      } catch (error) {
        if (kept) return kept.value;
        throw new AppError('PLATFORM_UNREACHABLE', { url: platform, reason: error instanceof Error ? error.message : String(error) });
      }
    },

    /**
     * The status list credential `id` (a URL the certificate names): the kept copy while fresh,
     * else fetched; the kept copy when the fetch fails. Null when there is neither.
     */
    async statusList(id: string): Promise<unknown> {
      const name = `status-${createHash('sha256').update(id).digest('hex').slice(0, 16)}.json`;
      const kept = read<{ validUntil?: string }>(name);
      const validUntil = kept ? Date.parse(kept.value?.validUntil ?? '') : NaN;
      if (kept && (options.offline || (now() - kept.fetchedAt < maxAgeMs && now() < validUntil))) return kept.value;
      if (options.offline) return null;
      try {
        const value = await getJson(id);
        write(name, value);
        return value;
      } catch {
        return kept?.value ?? null;
      }
    },
  };
}
