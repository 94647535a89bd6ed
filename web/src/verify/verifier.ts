/**
 * Verification in the browser: the same src/verify package the CLI uses, with trust anchors
 * pinned in this browser and the status lists the certificate names. Nothing is sent to a server
 * except the status-list and trust-anchor downloads (which the service worker keeps for offline use).
 */
import { decodeQr, parseBundleJson, type CertificateBundle } from '../../../src/verify/bundle.ts';
import { parsePayload } from '../../../src/verify/document.ts';
import { decodeStatusList } from '../../../src/verify/status-list.ts';
import { verifyCertificate, type StatusEvidence, type TrustAnchors, type VerificationResult } from '../../../src/verify/verify-certificate.ts';

const TRUST_KEY = 'yiban.verify.trust';

export interface TrustState {
  anchors: TrustAnchors | null;
  /** 'network': fetched now; 'pinned': the copy this browser kept (offline). */
  source: 'network' | 'pinned' | 'none';
}

function pinned(): TrustAnchors | null {
  try {
    const text = localStorage.getItem(TRUST_KEY);
    return text ? (JSON.parse(text) as TrustAnchors) : null;
  } catch {
    return null;
  }
}

/** The issuing platform's anchors, pinned on first use; the pinned copy when offline. */
export async function loadTrust(): Promise<TrustState> {
  try {
    const response = await fetch('/api/trust', { headers: { accept: 'application/json' } });
    if (response.ok) {
      const anchors = (await response.json()) as TrustAnchors;
      if (anchors.version === 1 && Array.isArray(anchors.roots)) {
        try {
          localStorage.setItem(TRUST_KEY, JSON.stringify(anchors));
        } catch {
          // storage full or disabled: still usable for this page
        }
        return { anchors, source: 'network' };
      }
    }
  } catch {
    // offline
  }
  const kept = pinned();
  return kept ? { anchors: kept, source: 'pinned' } : { anchors: null, source: 'none' };
}

/**
 * Reads this platform's status lists again (numbered from 1, until one is missing), so that the
 * service worker keeps today's copies for checks made offline later.
 */
export async function refreshStatusLists(max = 64): Promise<number> {
  let n = 1;
  for (; n <= max; n++) {
    const answers = await Promise.all(
      (['revocation', 'suspension'] as const).map((purpose) =>
        fetch(`/api/status-lists/${n}/${purpose}`, { cache: 'no-cache', headers: { accept: 'application/json' } }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    if (!answers.every(Boolean)) break;
  }
  return n - 1;
}

export type Input = { kind: 'text'; text: string } | { kind: 'pdf'; bytes: Uint8Array };

export async function readBundle(input: Input): Promise<CertificateBundle | null> {
  if (input.kind === 'pdf') {
    // pdf-lib is large: it loads only when a PDF is checked.
    const { extractBundleFromPdf } = await import('../../../src/verify/pdf-extract.ts');
    return extractBundleFromPdf(input.bytes);
  }
  const text = input.text.trim();
  if (text.startsWith('YB1.')) return decodeQr(text);
  // A link to this page carrying the payload: …/verify#YB1.…
  const at = text.indexOf('YB1.');
  if (at > 0 && /^https?:\/\//.test(text)) return decodeQr(decodeURIComponent(text.slice(at)));
  return parseBundleJson(text);
}

async function fetchList(url: string): Promise<unknown> {
  const candidates = [url];
  // Served by the issuing platform itself: the same list from this origin also counts.
  try {
    const parsed = new URL(url);
    if (parsed.origin !== location.origin && parsed.pathname.startsWith('/api/status-lists/')) candidates.push(parsed.pathname);
  } catch {
    return null;
  }
  for (const candidate of candidates) {
    try {
      const response = await fetch(candidate, { cache: 'no-cache', headers: { accept: 'application/json' } });
      if (response.ok) return await response.json();
    } catch {
      // try the next
    }
  }
  return null;
}

export async function statusEvidence(bundle: CertificateBundle): Promise<StatusEvidence> {
  const evidence: StatusEvidence = {};
  const payload = parsePayload(bundle.payload);
  if (!payload) return evidence;
  await Promise.all(
    (['revocation', 'suspension'] as const).map(async (purpose) => {
      const credential = (await fetchList(`${payload.status.list}/${purpose}`)) as { credentialSubject?: { statusPurpose?: unknown; encodedList?: unknown } } | null;
      const subject = credential?.credentialSubject;
      if (typeof subject?.encodedList !== 'string' || subject.statusPurpose !== purpose) return;
      evidence[purpose] = await decodeStatusList(subject.encodedList);
    }),
  );
  return evidence;
}

export async function verifyInput(input: Input, trust: TrustAnchors | null): Promise<VerificationResult> {
  const bundle = await readBundle(input);
  if (!bundle) {
    return { verdict: 'INVALID', checks: [{ check: 'format', result: 'fail', reason: 'MALFORMED', detail: 'not a Yiban QR text, bundle or PDF' }] };
  }
  const anchors: TrustAnchors = trust ?? { version: 1, roots: [] };
  return verifyCertificate(bundle, anchors, { status: await statusEvidence(bundle) });
}
