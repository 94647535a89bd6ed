import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AppError, formatMessage } from '../core/errors.ts';
import { FIGURES_REASON_TEXT, verifyFiguresBundle, type FiguresBundle, type FiguresVerification } from '../verify/figures-bundle.ts';
import type { FigureCell } from '../verify/figures.ts';
import type { TrustAnchors } from '../verify/verification-result.ts';
import { createPlatformCache } from './verify-cache.ts';

const EXIT: Record<FiguresVerification['status'], number> = { VALID: 0, INVALID: 1, INDETERMINATE: 2 };

export interface FiguresVerifyOptions {
  period?: string;
  org?: string;
  platform?: string;
  trust?: string;
  offline?: boolean;
  cacheDir?: string;
  json?: boolean;
}

/**
 * `yiban figures verify <url|file>`: fetches (or reads) a month's figures bundle, checks the
 * checkpoint against the pinned log key (the trust list's `ledger.vkey`, pinned as `yiban verify`
 * pins it: a --trust file, or the platform's list kept in the cache), the range proof and its
 * boundaries, and recomputes the figures. Exit 0 VALID, 1 INVALID, 2 INDETERMINATE, 3 when it
 * cannot start.
 */
export function registerFiguresCommands(program: Command): void {
  const figures = program.command('figures').description('好差评公开数字 public rating figures');
  figures
    .command('verify')
    .description('从账本叶子重新计算并核验公开数字 recompute and verify published rating figures from the ledger leaves')
    .argument('<source>', 'a bundle file, a bundle URL, or the platform URL (with --period)')
    .option('--period <YYYY-MM>', 'the month (required with a platform URL; checked against the bundle otherwise)')
    .option('--org <code>', 'show (and require) the figures of this org')
    .option('--platform <url>', "whose pinned trust list holds the log key (default: the source URL's origin, or YIBAN_PUBLIC_URL)")
    .option('--trust <file>', 'a pinned trust list file (trust.json from /api/trust)')
    .option('--offline', 'use only the kept trust list, no network for it')
    .option('--cache-dir <dir>', 'cache folder (default YIBAN_CACHE_DIR, XDG_CACHE_HOME/yiban or ~/.cache/yiban)')
    .option('--json', 'print the result as JSON')
    .action(async (source: string, options: FiguresVerifyOptions) => {
      try {
        const result = await runFiguresVerify(source, options);
        if (options.json) console.log(JSON.stringify(result, null, 2));
        else printResult(result, options.org);
        process.exitCode = EXIT[result.status];
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        console.error(`${formatMessage(error.code, error.params, 'zh-CN')}\n${formatMessage(error.code, error.params, 'en')}`);
        process.exitCode = 3;
      }
    });
}

export async function runFiguresVerify(source: string, options: FiguresVerifyOptions): Promise<FiguresVerification> {
  const isUrl = /^https?:\/\//.test(source);
  let bundleUrl: string | null = null;
  if (isUrl) {
    bundleUrl = /\/bundle\/?$/.test(source)
      ? source
      : `${source.replace(/\/+$/, '')}/api/public/figures/${encodeURIComponent(options.period ?? '')}/bundle`;
    if (!/\/bundle\/?$/.test(source) && !options.period) throw new AppError('VALIDATION_FAILED', { detail: '--period YYYY-MM' });
  }
  const platform = options.platform ?? (isUrl ? new URL(source).origin : process.env.YIBAN_PUBLIC_URL);
  if (!options.trust && !platform) throw new AppError('VERIFY_TRUST_REQUIRED');
  const trust: TrustAnchors = options.trust
    ? (JSON.parse(readFileSync(options.trust, 'utf8')) as TrustAnchors)
    : await createPlatformCache({
        platform: platform!,
        offline: options.offline ?? false,
        ...(options.cacheDir ? { root: options.cacheDir } : {}),
      }).trust();
  const bundle = (bundleUrl ? await fetchBundle(bundleUrl) : JSON.parse(readFileSync(source, 'utf8'))) as FiguresBundle;
  if (options.period && bundle?.period !== options.period)
    return { status: 'INDETERMINATE', reason: 'MALFORMED', detail: `the bundle is for ${String(bundle?.period)}, not ${options.period}` };
  return verifyFiguresBundle(bundle, trust.ledger?.vkey, options.org ? { org: options.org } : {});
}

async function fetchBundle(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (error) {
    throw new AppError('PLATFORM_UNREACHABLE', { url, reason: error instanceof Error ? error.message : String(error) });
  }
}

const VERDICT = { VALID: '有效 VALID', INVALID: '无效 INVALID', INDETERMINATE: '无法确定 INDETERMINATE' } as const;
const show = (v: FigureCell[keyof FigureCell]) =>
  v === 'suppressed' ? '<k' : v === null ? '—' : Number.isInteger(v) ? String(v) : `${(Number(v) * 100).toFixed(1)}%`;

function printResult(result: FiguresVerification, org: string | undefined): void {
  console.log(VERDICT[result.status]);
  if (result.status !== 'VALID') {
    const words = FIGURES_REASON_TEXT[result.reason];
    console.log(`  原因 reason: ${words.zh} / ${words.en} (${result.detail})`);
    return;
  }
  console.log(
    `  ${result.period}: ${result.ratingLeaves} 条评价叶子 rating leaves, entries ${result.range.first}..${result.range.end - 1} of ${result.size} (${result.origin})`,
  );
  const cell = org ? result.org?.figures.total : undefined;
  if (org && cell) {
    console.log(
      `  ${org}: 评价 ratings ${show(cell.ratings)}  好评率 good ${show(cell.goodRate)}  差评 bad ${show(cell.bad)}  按期整改 on time ${show(cell.rectifiedOnTimeRate)}  回访率 callbacks ${show(cell.callbackRate)}`,
    );
  } else {
    console.log(`  ${Object.keys(result.figures.orgs).length} 个单位 orgs recomputed`);
  }
}
