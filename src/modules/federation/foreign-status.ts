/**
 * The status of another member's certificate (跨省通办): a certificate issued in Hebei verifies at
 * Guangxi against the national trust list, but whether it is revoked or suspended is in Hebei's
 * status lists only. Guangxi asks Hebei for them at the endpoint the hub's directory publishes
 * (never a URL taken from the certificate), accepts a list only when it is signed by a status
 * signer of the trust list whose certificate chains to Hebei's own root (so no other member can
 * speak for Hebei), and keeps it for a short TTL, never past the list's own `validUntil`, in a
 * bounded cache. An issuer that does not answer within a short timeout is not asked again for a
 * while; meanwhile its cached lists are used while they are valid, and without one the answer
 * is STATUS_ISSUER_UNREACHABLE (INDETERMINATE), never VALID.
 */
import { parsePayload } from '../../verify/document.ts';
import { AppError } from '../../core/errors.ts';
import { STATUS_PURPOSES, statusEvidenceForList, type StatusPurpose } from '../../verify/status-credential.ts';
import type { StatusEvidence, TrustAnchors } from '../../verify/verification-result.ts';
import type { Issuer } from './directory.ts';
import { WINDOW_SECONDS, type FederationContext } from './federation-context.ts';

export interface ForeignStatusOptions {
  /** How long a fetched list is used before the issuer is asked again (default 60 s; never past the list's `validUntil`). */
  ttlMs?: number;
  /** One request's limit (default 2000 ms): an absent issuer holds a verification no longer. */
  timeoutMs?: number;
  /** After an issuer failed to answer, how long it is not asked again (default 30 s). */
  retryAfterMs?: number;
  /** Lists kept at most (default 1000), the least recently used dropped first. */
  maxLists?: number;
}

/** What the certificates module's verifier is given for another member's certificate. */
export interface ForeignStatus {
  issuer: string;
  status: StatusEvidence;
  /** The issuer's log key from the directory, for the certificate's inclusion proof (null: it published none). */
  ledgerVkey: string | null;
}

interface Kept {
  evidence: StatusEvidence;
  /** The two signed lists as fetched, in `STATUS_PURPOSES` order. */
  credentials: unknown[];
  /** Used without asking until then. */
  freshUntil: number;
  /** Used while the issuer does not answer until then (the earlier of the two lists' `validUntil`). */
  validUntil: number;
}

/** A list as known here: the credentials only when both were accepted (fetched now, or kept and still valid). */
interface Current {
  issuer: Issuer;
  evidence: StatusEvidence;
  credentials: unknown[] | null;
}

const LIST_ID = /^[1-9][0-9]{0,8}$/;
/** How far another member's clock may run ahead of this one (as for signed messages). */
const CLOCK_SKEW_MS = WINDOW_SECONDS * 1000;

export function createForeignStatus(
  ctx: Pick<FederationContext, 'clock' | 'fetch'>,
  deps: { issuers: () => Promise<Issuer[]> },
  options: ForeignStatusOptions = {},
) {
  const ttlMs = options.ttlMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 2000;
  const retryAfterMs = options.retryAfterMs ?? 30_000;
  const maxLists = options.maxLists ?? 1000;
  // Map order is use order: a hit is moved to the end, the first is the least recently used.
  const kept = new Map<string, Kept>();
  const downUntil = new Map<string, number>();
  const inFlight = new Map<string, Promise<unknown[]>>();

  const keep = (url: string, entry: Kept) => {
    kept.delete(url);
    kept.set(url, entry);
    for (const oldest of kept.keys()) {
      if (kept.size <= maxLists) break;
      kept.delete(oldest);
    }
  };

  async function fetchLists(listUrl: string): Promise<unknown[]> {
    return Promise.all(
      STATUS_PURPOSES.map(async (purpose) => {
        const response = await ctx.fetch(`${listUrl}/${purpose}`, {
          headers: { accept: 'application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status} for the ${purpose} list`);
        const body: unknown = await response.json();
        return body;
      }),
    );
  }

  /** One request per list at a time: concurrent verifications of the same issuer's certificates share it. */
  function fetchOnce(listUrl: string): Promise<unknown[]> {
    const running = inFlight.get(listUrl);
    if (running) return running;
    const started = fetchLists(listUrl).finally(() => inFlight.delete(listUrl));
    inFlight.set(listUrl, started);
    return started;
  }

  /** The cached lists while they are valid; otherwise why there are none, for each purpose. */
  function unreachable(issuer: Issuer, entry: Kept | undefined, now: number, why: string): Current {
    if (entry && now <= entry.validUntil) return { issuer, evidence: entry.evidence, credentials: entry.credentials };
    const expired = entry ? `; the cached list expired at ${new Date(entry.validUntil).toISOString()}` : '';
    const problems = STATUS_PURPOSES.map((purpose) => ({
      purpose,
      reason: 'STATUS_ISSUER_UNREACHABLE' as const,
      detail: `${issuer.memberId} (${issuer.endpoint}): ${why}${expired}`,
    }));
    return { issuer, evidence: { lists: [], problems }, credentials: null };
  }

  /**
   * The issuer's lists at `listUrl` as they are now known here (fetched, or kept within the TTL or,
   * while the issuer does not answer, their validity); null when no approved member publishes it.
   */
  async function current(listUrl: string): Promise<Current | null> {
    const issuer = (await deps.issuers()).find((m) => {
      const prefix = `${m.endpoint}/api/status-lists/`;
      return listUrl.startsWith(prefix) && LIST_ID.test(listUrl.slice(prefix.length));
    });
    if (!issuer) return null;
    const now = ctx.clock().getTime();
    const entry = kept.get(listUrl);
    if (entry && now < entry.freshUntil) {
      keep(listUrl, entry);
      return { issuer, evidence: entry.evidence, credentials: entry.credentials };
    }
    const down = downUntil.get(issuer.memberId);
    if (down !== undefined && now < down) return unreachable(issuer, entry, now, 'did not answer a moment ago');

    let credentials: unknown[];
    try {
      credentials = await fetchOnce(listUrl);
    } catch (error) {
      downUntil.set(issuer.memberId, now + retryAfterMs);
      return unreachable(issuer, entry, now, (error as Error).message);
    }
    downUntil.delete(issuer.memberId);
    const trust: TrustAnchors = { version: 1, roots: issuer.roots, statusSigners: issuer.statusSigners };
    // A list the issuer signed a moment ago, by a clock a little ahead of this one, is current.
    const evidence = await statusEvidenceForList(listUrl, credentials, trust, new Date(now), { skewMs: CLOCK_SKEW_MS });
    const validUntil = Math.min(...(evidence.lists ?? []).map((l) => Date.parse(l.validUntil)));
    // Only a pair of signed, current lists is kept (and served); a refused one is reported and asked for again next time.
    if (!evidence.revocation || !evidence.suspension || !Number.isFinite(validUntil)) return { issuer, evidence, credentials: null };
    keep(listUrl, { evidence, credentials, freshUntil: Math.min(now + ttlMs, validUntil), validUntil });
    return { issuer, evidence, credentials };
  }

  return {
    /**
     * The status evidence for a certificate of another member, with its log key; null when the
     * list it names is not at a member's published endpoint (nothing to ask, nobody to ask).
     */
    async evidence(payloadText: string): Promise<ForeignStatus | null> {
      const payload = parsePayload(payloadText);
      const known = payload ? await current(payload.status.list) : null;
      return known && { issuer: known.issuer.memberId, status: known.evidence, ledgerVkey: known.issuer.logVkey };
    },

    /**
     * The issuer's signed list credential as it was fetched (for the verify page, which checks its
     * signature itself): only a list of an approved member that passed the same check here; with
     * the member's log key from the directory, for the certificate's inclusion proof.
     */
    async signedList(listUrl: string, purpose: StatusPurpose): Promise<{ credential: unknown; issuer: string; ledgerVkey: string | null }> {
      const known = await current(listUrl);
      if (!known) throw new AppError('FOREIGN_STATUS_LIST_NOT_FOUND', { list: listUrl });
      const { issuer, evidence, credentials } = known;
      if (credentials)
        return { credential: credentials[STATUS_PURPOSES.indexOf(purpose)], issuer: issuer.memberId, ledgerVkey: issuer.logVkey };
      const problem = evidence.problems?.find((p) => p.purpose === purpose) ?? evidence.problems?.[0];
      const reason = problem?.reason ?? 'STATUS_UNAVAILABLE';
      throw reason === 'STATUS_ISSUER_UNREACHABLE'
        ? new AppError('FOREIGN_STATUS_ISSUER_UNREACHABLE', { member: issuer.memberId })
        : new AppError('FOREIGN_STATUS_LIST_REFUSED', { member: issuer.memberId, reason });
    },
  };
}
