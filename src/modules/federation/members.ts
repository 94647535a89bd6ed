import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { parseCertificate } from '../../verify/x509.ts';
import { can, type Principal } from '../identity/index.ts';
import { keyValidAt } from './documents.ts';
import { KEY_OVERLAP_MS, type FederationContext } from './federation-context.ts';
import * as repo from './federation.repository.ts';
import type { KeyChange, MemberKey, MemberStatus } from './federation.tables.ts';
import { federated } from './node-identity.ts';

/** Who decides: a platform administrator in the console, or the hub operator at the CLI (on the hub's own machine). */
export type MemberActor = Principal | 'operator';

export type MemberState = 'pending' | 'approved' | 'rejected' | 'revoked';

/** A member as the hub operator reviews it: never a secret, only public keys' fingerprints and the root's subject. */
export interface MemberView {
  memberId: string;
  name: string;
  endpoint: string;
  status: MemberStatus;
  requestedAt: string;
  approvedAt: string | null;
  revokedAt: string | null;
  /** A rejected request: when, and the operator's reason (the member may ask again). */
  rejectedAt: string | null;
  rejectionReason: string | null;
  rootSubject: string;
  /** SHA-256 of the root certificate (DER), hex. */
  rootFingerprint: string;
  keys: KeyView[];
  /** A key change waiting for approval (the member stays published with its keys meanwhile). */
  keyChange: (KeyView & { signedBy: string; requestedAt: string }) | null;
}

export interface KeyView {
  keyId: string;
  /** SHA-256 of the public key (SubjectPublicKeyInfo DER), hex. */
  fingerprint: string;
  notBefore: string;
  notAfter: string;
}

const sha256Hex = (bytes: Uint8Array | Buffer) => createHash('sha256').update(bytes).digest('hex');
const keyView = (k: MemberKey): KeyView => ({
  keyId: k.keyId,
  fingerprint: sha256Hex(Buffer.from(k.publicKeySpki, 'base64')),
  notBefore: k.notBefore,
  notAfter: k.notAfter,
});

function view(row: repo.MemberRow): MemberView {
  const parsed = parseCertificate(row.rootCertificate);
  return {
    memberId: row.memberId,
    name: row.name,
    endpoint: row.endpoint,
    status: row.status,
    requestedAt: row.requestedAt.toISOString(),
    approvedAt: row.approvedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    rejectedAt: row.rejectedAt?.toISOString() ?? null,
    rejectionReason: row.rejectionReason,
    rootSubject: parsed.ok ? parsed.certificate.subject.text : '',
    rootFingerprint: parsed.ok ? parsed.certificate.fingerprint : '',
    keys: row.keys.map(keyView),
    keyChange: row.keyChange
      ? { ...keyView(row.keyChange.key), signedBy: row.keyChange.signedBy, requestedAt: row.keyChange.requestedAt }
      : null,
  };
}

const encoder = new TextEncoder();

/**
 * The hub operator's decisions on members (成员审批): approve a request (cross-signing its root)
 * or a key change, reject either, revoke a member. Each decision and its ledger leaf
 * (`federation.member`: member, action, key ids, who — no other data) commit together; the
 * directory's version moves, so every node sees it at its next refresh.
 */
export function createMembers(ctx: FederationContext) {
  const { db, clock } = ctx;

  function requireOperator(actor: MemberActor): string {
    const config = federated(ctx.config);
    if (config.role !== 'hub') throw new AppError('FEDERATION_NOT_HUB');
    if (actor === 'operator') return 'operator';
    if (!can(actor, 'federation.manage', { orgPath: '' })) throw new AppError('FORBIDDEN');
    return actor.accountId;
  }

  async function decide(
    actor: MemberActor,
    memberId: string,
    decision: (tx: Executor, row: repo.MemberRow, now: Date) => Promise<{ action: string; keyIds: string[] }>,
  ): Promise<MemberView> {
    const by = requireOperator(actor);
    return db.transaction(async (tx) => {
      const row = await repo.lockMember(tx, memberId);
      if (!row) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: memberId });
      // Strictly after the last change: the directory's version must grow, or provinces would keep their copy.
      const now = await repo.changeTime(tx, clock());
      const { action, keyIds } = await decision(tx, row, now);
      await ctx.ledger.appendInTx(tx, {
        kind: 'federation.member',
        data: encoder.encode(canonicalJson({ kind: 'federation.member', memberId, action, keyIds, by, at: now.toISOString() })),
      });
      const after = await repo.lockMember(tx, memberId);
      return after ? view(after) : { ...view(row), status: 'pending' as const };
    });
  }

  return {
    /** The members in one state (pending: new requests and approved members with a key change waiting), by member id. */
    async list(actor: MemberActor, state?: MemberState): Promise<MemberView[]> {
      requireOperator(actor);
      const rows = await repo.listMembers(db);
      return rows
        .filter((r) => state === undefined || r.status === state || (state === 'pending' && r.status === 'approved' && r.keyChange))
        .map(view);
    },

    /**
     * Approves what is pending: a request (the member's root is cross-signed by the national root
     * and the member published), or an approved member's key change (the new key is published; each
     * old key stays valid for the overlap, at most its own end, so messages signed before the switch
     * still verify).
     */
    async approve(actor: MemberActor, memberId: string): Promise<MemberView> {
      requireOperator(actor);
      // Cross-signed before the transaction: the key store reads outside it (on PGlite that would wait for it).
      const seen = await repo.findMember(db, memberId);
      const crossSigned =
        seen?.status === 'pending' ? { root: seen.rootCertificate, pem: await ctx.keys.crossCertify(seen.rootCertificate) } : null;
      return decide(actor, memberId, async (tx, row, now) => {
        if (row.status === 'revoked') throw new AppError('FEDERATION_MEMBER_REVOKED', { member: memberId });
        if (row.status === 'pending') {
          // The request changed meanwhile: the operator looks again.
          if (crossSigned?.root !== row.rootCertificate)
            throw new AppError('CONFLICT', { detail: `${memberId} changed its request meanwhile` });
          const nationalCertificate = crossSigned.pem;
          await repo.updateMember(tx, memberId, { status: 'approved', nationalCertificate, approvedAt: now, updatedAt: now });
          return { action: 'approve', keyIds: row.keys.map((k) => k.keyId) };
        }
        if (!row.keyChange) throw new AppError('FEDERATION_NOTHING_PENDING', { member: memberId });
        const overlapEnd = new Date(now.getTime() + KEY_OVERLAP_MS);
        const keys = [
          ...row.keys
            .filter((k) => keyValidAt(k, now))
            .map((k) => ({ ...k, notAfter: new Date(Math.min(Date.parse(k.notAfter), overlapEnd.getTime())).toISOString() })),
          row.keyChange.key,
        ];
        await repo.updateMember(tx, memberId, { keys, keyChange: null, updatedAt: now });
        return { action: 'approve-key', keyIds: [row.keyChange.key.keyId] };
      });
    },

    /**
     * Rejects what is pending: a key change (the member keeps its keys), or a request (kept as
     * rejected with the operator's reason, never published; the member may ask again, with any key).
     */
    reject: (actor: MemberActor, memberId: string, reason?: string) => {
      const why = reason?.trim() || null;
      if (why !== null && why.length > 500) throw new AppError('VALIDATION_FAILED', { detail: 'reason: at most 500 characters' });
      return decide(actor, memberId, async (tx, row, now) => {
        if (row.keyChange && row.status === 'approved') {
          await repo.updateMember(tx, memberId, { keyChange: null, updatedAt: now });
          return { action: 'reject-key', keyIds: [row.keyChange.key.keyId] };
        }
        if (row.status !== 'pending') throw new AppError('FEDERATION_NOTHING_PENDING', { member: memberId });
        await repo.updateMember(tx, memberId, { status: 'rejected', rejectedAt: now, rejectionReason: why, updatedAt: now });
        return { action: 'reject', keyIds: row.keys.map((k) => k.keyId) };
      });
    },

    /**
     * Revokes a member: it leaves the directory and the national trust list (their versions move);
     * every node refuses its messages (403 FEDERATION_UNKNOWN_MEMBER) once it has refreshed, and it
     * may not ask to join again.
     */
    revoke: (actor: MemberActor, memberId: string) =>
      decide(actor, memberId, async (tx, row, now) => {
        if (row.status === 'revoked') throw new AppError('FEDERATION_MEMBER_REVOKED', { member: memberId });
        await repo.updateMember(tx, memberId, { status: 'revoked', keyChange: null, revokedAt: now, updatedAt: now });
        return { action: 'revoke', keyIds: row.keys.map((k) => k.keyId) };
      }),

    /**
     * An approved member's key change, whose signature (by `signedBy`) the route checked: the
     * signer must be a key on file, valid now; the new key must be new. Kept until the operator
     * decides; asking again replaces the waiting request.
     */
    async recordKeyChange(memberId: string, key: MemberKey, signedBy: string): Promise<{ memberId: string; status: string }> {
      requireOperator('operator');
      return db.transaction(async (tx) => {
        const row = await repo.lockMember(tx, memberId);
        if (!row || row.status === 'pending') throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: memberId });
        if (row.status === 'revoked') throw new AppError('FEDERATION_MEMBER_REVOKED', { member: memberId });
        const now = clock();
        if (!row.keys.some((k) => k.keyId === signedBy && keyValidAt(k, now)))
          throw new AppError('FEDERATION_SIGNATURE_INVALID', { reason: 'UNKNOWN_KEY' });
        if (row.keys.some((k) => k.keyId === key.keyId || k.publicKeySpki === key.publicKeySpki))
          throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'the new key is already on file' });
        const change: KeyChange = { key, signedBy, requestedAt: now.toISOString() };
        // The member stays published: only its request waits (no version change until approved).
        await repo.updateMember(tx, memberId, { keyChange: change });
        return { memberId, status: 'key-change-pending' };
      });
    },
  };
}

export type Members = ReturnType<typeof createMembers>;
