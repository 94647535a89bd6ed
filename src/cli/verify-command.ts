import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { decodeQr, parseBundleJson, type CertificateBundle } from '../verify/bundle.ts';
import { parsePayload } from '../verify/document.ts';
import { extractBundleFromPdf } from '../verify/pdf-extract.ts';
import { decodeStatusList } from '../verify/status-list.ts';
import { REASON_TEXT, verifyCertificate, type StatusEvidence, type TrustAnchors, type VerificationResult } from '../verify/verify-certificate.ts';

const EXIT: Record<VerificationResult['verdict'], number> = { VALID: 0, INVALID: 1, INDETERMINATE: 2 };

/** `yiban verify <file|->`: exit 0 VALID, 1 INVALID, 2 INDETERMINATE. Needs no database. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('核验证明 verify a certificate (PDF, QR text, bundle or VC JSON) with pinned trust anchors')
    .argument('<file>', 'file to verify, or - for standard input')
    .requiredOption('--trust <file>', 'trust anchors to pin (trust.json from /api/trust or `yiban demo certificate`)')
    .option('--online', 'fetch the current status lists named in the certificate')
    .option('--status <file>', 'a status list credential JSON (revocation), for offline use', collect, [])
    .option('--require-ledger', 'refuse VALID without a ledger inclusion proof')
    .option('--at <time>', 'verify as of this time (ISO 8601)', parseTime)
    .option('--json', 'print the full result as JSON')
    .action(async (file: string, options: { trust: string; online?: boolean; status: string[]; requireLedger?: boolean; at?: Date; json?: boolean }) => {
      const bytes = file === '-' ? readFileSync(0) : readFileSync(file);
      const trust = JSON.parse(readFileSync(options.trust, 'utf8')) as TrustAnchors;
      const bundle = bytes.subarray(0, 5).toString('latin1') === '%PDF-' ? await extractBundleFromPdf(new Uint8Array(bytes)) : await readBundle(bytes.toString('utf8'));
      const result: VerificationResult = bundle
        ? verifyCertificate(bundle, trust, {
            status: await statusEvidence(bundle, options),
            ...(options.requireLedger ? { requireLedger: true } : {}),
            ...(options.at ? { at: options.at } : {}),
          })
        : { verdict: 'INVALID', checks: [{ check: 'format', result: 'fail', reason: 'MALFORMED', detail: 'not a QR text, bundle or credential' }] };
      if (options.json) console.log(JSON.stringify(result, null, 2));
      else printResult(result);
      process.exitCode = EXIT[result.verdict];
    });
}

async function readBundle(text: string): Promise<CertificateBundle | null> {
  const trimmed = text.trim();
  if (trimmed.startsWith('YB1.')) return decodeQr(trimmed);
  return parseBundleJson(trimmed);
}

async function statusEvidence(bundle: CertificateBundle, options: { online?: boolean; status: string[] }): Promise<StatusEvidence> {
  const evidence: StatusEvidence = {};
  for (const file of options.status) await addList(evidence, JSON.parse(readFileSync(file, 'utf8')));
  const payload = parsePayload(bundle.payload);
  if (options.online && payload) {
    for (const purpose of ['revocation', 'suspension'] as const) {
      const response = await fetch(`${payload.status.list}/${purpose}`).catch(() => null);
      if (response?.ok) await addList(evidence, await response.json());
    }
  }
  return evidence;
}

async function addList(evidence: StatusEvidence, credential: unknown): Promise<void> {
  const subject = (credential as { credentialSubject?: { statusPurpose?: unknown; encodedList?: unknown } }).credentialSubject;
  if (typeof subject?.encodedList !== 'string') return;
  const bits = await decodeStatusList(subject.encodedList);
  if (subject.statusPurpose === 'revocation') evidence.revocation = bits;
  if (subject.statusPurpose === 'suspension') evidence.suspension = bits;
}

const VERDICT_TEXT = { VALID: '有效 VALID', INVALID: '无效 INVALID', INDETERMINATE: '无法确定 INDETERMINATE' } as const;

function printResult(result: VerificationResult): void {
  console.log(VERDICT_TEXT[result.verdict]);
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
