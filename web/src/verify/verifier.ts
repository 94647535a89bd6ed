/**
 * Verification in the browser: the same src/verify package the CLI uses, with trust anchors
 * pinned in this browser and the status lists the certificate names. Nothing is sent to a server
 * except the status-list and trust-anchor downloads (which the service worker keeps for offline use).
 */
import { decodeQr, parseBundleJson, type CertificateBundle } from '../../../src/verify/bundle.ts';
import { parsePayload } from '../../../src/verify/document.ts';
import { STATUS_PURPOSES, statusEvidenceFromCredentials } from '../../../src/verify/status-credential.ts';
import {
  verifyCertificate,
  type StatusEvidence,
  type TrustAnchors,
  type VerificationResult,
} from '../../../src/verify/verify-certificate.ts';

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
 * Reads this platform's status lists again — only those that exist (`/api/status-lists`) — so
 * that the service worker keeps today's signed copies for checks made offline later.
 */
export async function refreshStatusLists(): Promise<number> {
  try {
    const response = await fetch('/api/status-lists', { cache: 'no-cache', headers: { accept: 'application/json' } });
    if (!response.ok) return 0;
    const { lists } = (await response.json()) as { lists: { id: string }[] };
    await Promise.all(
      lists.flatMap(({ id }) =>
        (['revocation', 'suspension'] as const).map((purpose) =>
          fetch(`/api/status-lists/${encodeURIComponent(id)}/${purpose}`, {
            cache: 'no-cache',
            headers: { accept: 'application/json' },
          }).catch(() => null),
        ),
      ),
    );
    return lists.length;
  } catch {
    return 0;
  }
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

/**
 * The signed lists the certificate names (from the network, or the service worker's copy when
 * offline), checked against the pinned trust list: a forged, foreign, mismatched or expired list
 * is never used, and the reason is kept for the page.
 */
export async function statusEvidence(bundle: CertificateBundle, trust: TrustAnchors): Promise<StatusEvidence> {
  const payload = parsePayload(bundle.payload);
  if (!payload) return {};
  const credentials = await Promise.all(STATUS_PURPOSES.map((purpose) => fetchList(`${payload.status.list}/${purpose}`)));
  return statusEvidenceFromCredentials(
    bundle.payload,
    credentials.filter((c) => c !== null),
    trust,
  );
}

export interface VerifyOutcome {
  result: VerificationResult;
  /** The status lists used (or why none could be), for the page to say how old they are. */
  status: StatusEvidence;
}

export async function verifyInput(input: Input, trust: TrustAnchors | null): Promise<VerifyOutcome> {
  const bundle = await readBundle(input);
  if (!bundle) {
    return {
      result: {
        verdict: 'INVALID',
        checks: [{ check: 'format', result: 'fail', reason: 'MALFORMED', detail: 'not a Yiban QR text, bundle or PDF' }],
      },
      status: {},
    };
  }
  const anchors: TrustAnchors = trust ?? { version: 1, roots: [] };
  const status = await statusEvidence(bundle, anchors);
  return { result: verifyCertificate(bundle, anchors, { status }), status };
}
