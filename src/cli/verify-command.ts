import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { AppError, formatMessage } from '../core/errors.ts';
import { decodeQr, parseBundleJson, type CertificateBundle } from '../verify/bundle.ts';
import { parsePayload } from '../verify/document.ts';
import { STATUS_PURPOSES, statusEvidenceFromCredentials } from '../verify/status-credential.ts';
import {
  REASON_TEXT,
  verifyCertificate,
  type StatusEvidence,
  type TrustAnchors,
  type VerificationResult,
} from '../verify/verify-certificate.ts';
import { createPlatformCache } from './verify-cache.ts';
import { openTrustList } from '../verify/signed-document.ts';

const EXIT: Record<VerificationResult['verdict'], number> = { VALID: 0, INVALID: 1, INDETERMINATE: 2 };

export interface VerifyCommandOptions {
  platform?: string;
  trust?: string;
  trustList?: string;
  nationalRoot?: string;
  status: string[];
  offline?: boolean;
  online?: boolean;
  cacheDir?: string;
  refresh?: boolean;
  requireLedger?: boolean;
  at?: Date;
  json?: boolean;
}

/**
 * `yiban verify <file|->`: exit 0 VALID, 1 INVALID, 2 INDETERMINATE, 3 when it cannot start
 * (no trust list). Needs no database; the `yiban` launcher runs it from a precompiled bundle
 * (`dist/cli/verify/`, built by bin/bundle.js with its packages inside), so that a check answers in well under a second.
 */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('核验证明 verify a certificate (PDF, QR text, bundle or VC JSON)')
    .argument('<file>', 'file to verify, or - for standard input')
    .option(
      '--platform <url>',
      'the issuing platform (default YIBAN_PUBLIC_URL): its trust list and signed status lists are fetched once and cached',
    )
    .option('--trust <file>', "a pinned trust list file (trust.json from /api/trust) instead of the platform's")
    .option(
      '--trust-list <file>',
      'a national trust list (yiban federation trust-list, or GET /api/federation/trust-list of the hub): its signature is checked, then its national root and cross-signed province roots are trusted',
    )
    .option('--national-root <sha256>', "with --trust-list: the national root's SHA-256 fingerprint (hex) the list must be signed under")
    .option('--status <file>', 'a signed status list credential JSON, for offline use (repeatable)', collect, [])
    .option('--offline', 'use only the cache and the given files, no network')
    .option('--online', '(default) fetch the status lists the certificate names')
    .option('--refresh', 'fetch the status lists now even when the cached ones are fresh')
    .option('--cache-dir <dir>', 'cache folder (default YIBAN_CACHE_DIR, XDG_CACHE_HOME/yiban or ~/.cache/yiban)')
    .option('--require-ledger', 'refuse VALID without a ledger inclusion proof')
    .option('--at <time>', 'verify as of this time (ISO 8601)', parseTime)
    .option('--json', 'print the full result as JSON')
    .action(async (file: string, options: VerifyCommandOptions) => {
      try {
        const result = await runVerify(file, options);
        if (options.json) console.log(JSON.stringify(result, null, 2));
        else printResult(result);
        process.exitCode = EXIT[result.verdict];
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        console.error(`${formatMessage(error.code, error.params, 'zh-CN')}\n${formatMessage(error.code, error.params, 'en')}`);
        process.exitCode = 3;
      }
    });
}

async function runVerify(file: string, options: VerifyCommandOptions): Promise<VerificationResult> {
  const bytes = file === '-' ? readFileSync(0) : readFileSync(file);
  const platform = options.platform ?? process.env.YIBAN_PUBLIC_URL;
  if (!options.trust && !options.trustList && !platform) throw new AppError('VERIFY_TRUST_REQUIRED');
  const cache = platform
    ? createPlatformCache({
        platform,
        offline: options.offline ?? false,
        ...(options.refresh ? { maxAgeMs: 0 } : {}),
        ...(options.cacheDir ? { root: options.cacheDir } : {}),
      })
    : null;
  const trust: TrustAnchors = options.trustList
    ? nationalTrust(options.trustList, options)
    : options.trust
      ? (JSON.parse(readFileSync(options.trust, 'utf8')) as TrustAnchors)
      : await cache!.trust();
  const bundle = await readBundle(bytes);
  if (!bundle)
    return {
      verdict: 'INVALID',
      checks: [{ check: 'format', result: 'fail', reason: 'MALFORMED', detail: 'not a PDF, QR text, bundle or credential' }],
    };
  return verifyCertificate(bundle, trust, {
    status: await statusEvidence(bundle, trust, options, cache),
    ...(options.requireLedger ? { requireLedger: true } : {}),
    ...(options.at ? { at: options.at } : {}),
  });
}

/** A national trust list whose signature chains to its own national root (and, when given, the pinned one). */
function nationalTrust(file: string, options: VerifyCommandOptions): TrustAnchors {
  let envelope: unknown;
  try {
    envelope = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new AppError('VERIFY_TRUST_LIST_INVALID', { reason: 'not JSON' });
  }
  const opened = openTrustList(envelope, {
    ...(options.at ? { at: options.at } : {}),
    ...(options.nationalRoot ? { pinnedRootFingerprint: options.nationalRoot } : {}),
  });
  if (!opened.ok) throw new AppError('VERIFY_TRUST_LIST_INVALID', { reason: opened.reason });
  return opened.document;
}

async function readBundle(bytes: Buffer): Promise<CertificateBundle | null> {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
    // pdf-lib is large: loaded only for PDFs.
    const { extractBundleFromPdf } = await import('../verify/pdf-extract.ts');
    return extractBundleFromPdf(new Uint8Array(bytes));
  }
  const trimmed = bytes.toString('utf8').trim();
  if (trimmed.startsWith('YB1.')) return decodeQr(trimmed);
  return parseBundleJson(trimmed);
}

async function statusEvidence(
  bundle: CertificateBundle,
  trust: TrustAnchors,
  options: VerifyCommandOptions,
  cache: ReturnType<typeof createPlatformCache> | null,
): Promise<StatusEvidence> {
  const credentials: unknown[] = options.status.map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);
  const payload = parsePayload(bundle.payload);
  if (payload) {
    const ids = STATUS_PURPOSES.map((purpose) => `${payload.status.list}/${purpose}`);
    const fetched = await Promise.all(
      ids.map((id) => (cache ? cache.statusList(id) : options.offline ? Promise.resolve(null) : fetchJson(id))),
    );
    credentials.push(...fetched.filter((c) => c !== null));
  }
  return statusEvidenceFromCredentials(bundle.payload, credentials, trust, options.at ?? new Date());
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

const VERDICT_TEXT = { VALID: '有效 VALID', INVALID: '无效 INVALID', INDETERMINATE: '无法确定 INDETERMINATE' } as const;

function printResult(result: VerificationResult): void {
  console.log(VERDICT_TEXT[result.verdict]);
  if (result.verdict !== 'VALID') {
    // Why, first: the checks that failed, or (INDETERMINATE) those that could not be made.
    const why = result.checks.filter((c) => c.result === (result.verdict === 'INVALID' ? 'fail' : 'unknown'));
    for (const c of why)
      if (c.reason)
        console.log(`  原因 reason: ${REASON_TEXT[c.reason].zh} / ${REASON_TEXT[c.reason].en}${c.detail ? ` (${c.detail})` : ''}`);
  }
  const c = result.certificate;
  if (c) {
    console.log(`  ${c.typeName.zh} ${c.id}`);
    console.log(`  持有人 holder: ${c.holder.name} ${c.holder.residentIdMasked}   出具 issuer: ${c.issuer.name}   ${c.issuedAt}`);
    for (const f of c.fields) console.log(`  ${f.name}: ${f.value}`);
  }
  for (const check of result.checks) {
    const words = check.reason ? ` ${REASON_TEXT[check.reason].zh} / ${REASON_TEXT[check.reason].en}` : '';
    console.log(`  [${check.result}] ${check.check}${words}${check.detail ? ` (${check.detail})` : ''}`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseTime(value: string): Date {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('an ISO 8601 time');
  return new Date(t);
}
