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

interface Fetched {
  credential: unknown;
  /** Another member's list, through this node: its issuer's log key (null: it published none). */
  foreign?: { ledgerVkey: string | null };
}

async function getJson(url: string): Promise<Response | null> {
  try {
    const response = await fetch(url, { cache: 'no-cache', headers: { accept: 'application/json' } });
    return response.ok ? response : null;
  } catch {
    return null;
  }
}

/**
 * One signed list: from its own address, or this origin's copy of it (the issuing platform behind
 * another name), or — another member's list — through this node (`/api/federation/status-lists`),
 * which fetches it from the member the directory names. Whichever answers, its signature is checked here.
 */
async function fetchList(url: string, list: string, purpose: string): Promise<Fetched | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const candidates = [url];
  if (parsed.origin !== location.origin && parsed.pathname.startsWith('/api/status-lists/')) candidates.push(parsed.pathname);
  let other: Fetched | null = null;
  for (const candidate of candidates) {
    const response = await getJson(candidate);
    const credential = response ? ((await response.json().catch(() => null)) as { id?: unknown } | null) : null;
    // This origin's list of the same number is another list unless its id is the one named.
    if (credential?.id === url) return { credential };
    other ??= credential && { credential };
  }
  if (parsed.origin === location.origin) return other;
  const response = await getJson(`/api/federation/status-lists/${purpose}?list=${encodeURIComponent(list)}`);
  if (!response) return other;
  const credential: unknown = await response.json().catch(() => null);
  return credential === null ? other : { credential, foreign: { ledgerVkey: response.headers.get('yiban-issuer-log-vkey') } };
}

interface StatusFound {
  evidence: StatusEvidence;
  /** Set when the lists are another member's (through this node). */
  foreign?: { ledgerVkey: string | null };
}

/**
 * The signed lists the certificate names (from the network, or the service worker's copy when
 * offline), checked against the pinned trust list: a forged, foreign, mismatched or expired list
 * is never used, and the reason is kept for the page.
 */
export async function statusEvidence(bundle: CertificateBundle, trust: TrustAnchors): Promise<StatusFound> {
  const payload = parsePayload(bundle.payload);
  if (!payload) return { evidence: {} };
  const { list } = payload.status;
  const found = await Promise.all(STATUS_PURPOSES.map((purpose) => fetchList(`${list}/${purpose}`, list, purpose)));
  const credentials = found.flatMap((f) => (f ? [f.credential] : []));
  const evidence = await statusEvidenceFromCredentials(bundle.payload, credentials, trust);
  const foreign = found.find((f) => f?.foreign)?.foreign;
  return foreign ? { evidence, foreign } : { evidence };
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
  const { evidence: status, foreign } = await statusEvidence(bundle, anchors);
  if (!foreign) return { result: verifyCertificate(bundle, anchors, { status }), status };
  // Another member's certificate (as POST /api/verify): its inclusion proof is in the issuer's
  // ledger, checked with the issuer's log key, left out when the issuer published none.
  const { ledger, ...withoutLedger } = bundle;
  const { ledger: _own, ...others } = anchors;
  const result =
    foreign.ledgerVkey && ledger
      ? verifyCertificate(bundle, { ...others, ledger: { vkey: foreign.ledgerVkey } }, { status })
      : verifyCertificate(withoutLedger, others, { status });
  return { result, status };
}
