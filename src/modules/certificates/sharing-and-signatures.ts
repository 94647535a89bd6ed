import type { Static } from '@sinclair/typebox';
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { message } from '../../core/messages.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { requireResidentScope, type Principal } from '../identity/index.ts';
import { can, grantsFor } from '../identity/index.ts';
import type { CertificateBundle } from '../../verify/bundle.ts';
import { registeredSignatures, shareLinks } from './certificates.tables.ts';
import type { CertificatesService, CertificateView } from './certificates.service.ts';
import * as repo from './certificates.repository.ts';
import type { ShareSchema, SignatureSchema } from './certificates.schemas.ts';

const MAX_SIGNATURE_BYTES = 200 * 1024;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_SHARE_HOURS = 24 * 30;

export type SignatureDto = Static<typeof SignatureSchema>;
export type ShareLinkDto = Static<typeof ShareSchema>;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * 手签备案 (registered signatures) and share links (分享): a reviewer uploads a handwritten
 * signature, their township administrator activates it; a resident shares a certificate, or a
 * view of some of its fields, through a time-limited link they can revoke.
 */
export function createSharingService(deps: { db: Db; certificates: CertificatesService; publicUrl: string; clock?: () => Date }) {
  const { db, certificates } = deps;
  const clock = deps.clock ?? (() => new Date());

  function toSignatureDto(row: typeof registeredSignatures.$inferSelect): SignatureDto {
    return {
      id: row.id,
      accountId: row.accountId,
      orgCode: row.orgCode,
      status: row.status,
      image: row.image,
      uploadedAt: row.uploadedAt.toISOString(),
      activatedAt: row.activatedAt?.toISOString() ?? null,
    };
  }

  return {
    /** A reviewer files their handwritten signature (PNG data URL); it waits for activation. */
    async uploadSignature(principal: Principal, image: string): Promise<SignatureDto> {
      const grant = principal.actingFor ? undefined : grantsFor(principal, 'signature.upload')[0];
      if (!grant) throw new AppError('FORBIDDEN');
      const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(image);
      const bytes = match ? Buffer.from(match[1]!, 'base64') : null;
      if (!bytes || bytes.length > MAX_SIGNATURE_BYTES || !bytes.subarray(0, 8).equals(PNG_MAGIC)) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('certificates.signature.image'),
        });
      }
      const [row] = await db
        .insert(registeredSignatures)
        .values({ accountId: principal.accountId, orgCode: grant.orgCode, orgPath: grant.orgPath, image })
        .returning();
      return toSignatureDto(row!);
    },

    /** The township (or higher) administrator over the reviewer's node activates it; the previous one retires. */
    async activateSignature(principal: Principal, id: string): Promise<SignatureDto> {
      if (!isUuid(id)) throw notFound('signature');
      const [row] = await db.select().from(registeredSignatures).where(eq(registeredSignatures.id, id));
      if (!row || !can(principal, 'signature.activate', { orgPath: row.orgPath }) || row.accountId === principal.accountId) {
        throw notFound('signature');
      }
      if (row.status !== 'pending') throw new AppError('CONFLICT', { detail: message('certificates.signature.notPending') });
      const activated = await db.transaction(async (tx) => {
        await tx
          .update(registeredSignatures)
          .set({ status: 'retired' })
          .where(and(eq(registeredSignatures.accountId, row.accountId), eq(registeredSignatures.status, 'active')));
        const [updated] = await tx
          .update(registeredSignatures)
          .set({ status: 'active', activatedBy: principal.accountId, activatedAt: clock() })
          .where(eq(registeredSignatures.id, id))
          .returning();
        return updated!;
      });
      return toSignatureDto(activated);
    },

    async listSignatures(principal: Principal, filter: { status?: 'pending' | 'active' | 'retired' }): Promise<SignatureDto[]> {
      if (principal.kind !== 'staff') throw new AppError('FORBIDDEN');
      const rows = await db
        .select()
        .from(registeredSignatures)
        .where(filter.status ? eq(registeredSignatures.status, filter.status) : undefined)
        .orderBy(desc(registeredSignatures.uploadedAt))
        .limit(500);
      return rows
        .filter((r) => r.accountId === principal.accountId || can(principal, 'signature.activate', { orgPath: r.orgPath }))
        .map(toSignatureDto);
    },

    /** The active registered signature of a reviewer, for renditions; null when none is on file. */
    async activeSignature(accountId: string): Promise<string | null> {
      const [row] = await db
        .select({ image: registeredSignatures.image })
        .from(registeredSignatures)
        .where(and(eq(registeredSignatures.accountId, accountId), eq(registeredSignatures.status, 'active')));
      return row?.image ?? null;
    },

    async createShareLink(principal: Principal, certificateId: string, input: { fields?: string[]; hours: number }): Promise<ShareLinkDto> {
      const view = await certificates.get(principal, certificateId);
      requireResidentScope(principal, 'certificates.view');
      if (!Number.isInteger(input.hours) || input.hours < 1 || input.hours > MAX_SHARE_HOURS) {
        throw new AppError('VALIDATION_FAILED', {
          detail: message('certificates.share.hours', { max: MAX_SHARE_HOURS }),
        });
      }
      const known = new Set(view.fields.map((f) => f.name));
      const fields = input.fields ?? [...known];
      const unknown = fields.filter((f) => !known.has(f));
      if (unknown.length > 0)
        throw new AppError('VALIDATION_FAILED', {
          detail: message('certificates.share.unknownFields', { fields: { zh: unknown.join('、'), en: unknown.join(', ') } }),
        });
      const token = randomBytes(24).toString('base64url');
      const expiresAt = new Date(clock().getTime() + input.hours * 3_600_000);
      await db.insert(shareLinks).values({ tokenHash: hashToken(token), certificateId, fields, createdBy: principal.accountId, expiresAt });
      return {
        id: hashToken(token).slice(0, 32),
        certificateId,
        fields,
        expiresAt: expiresAt.toISOString(),
        revoked: false,
        token,
        url: `${deps.publicUrl}/verify#share=${token}`,
      };
    },

    async listShareLinks(principal: Principal, certificateId: string): Promise<ShareLinkDto[]> {
      await certificates.get(principal, certificateId);
      const rows = await db
        .select()
        .from(shareLinks)
        .where(eq(shareLinks.certificateId, certificateId))
        .orderBy(desc(shareLinks.createdAt));
      return rows.map((r) => ({
        id: r.tokenHash.slice(0, 32),
        certificateId,
        fields: r.fields,
        expiresAt: r.expiresAt.toISOString(),
        revoked: r.revokedAt !== null,
      }));
    },

    async revokeShareLink(principal: Principal, certificateId: string, id: string): Promise<void> {
      await certificates.get(principal, certificateId);
      requireResidentScope(principal, 'certificates.view');
      const rows = await db.select().from(shareLinks).where(eq(shareLinks.certificateId, certificateId));
      const row = rows.find((r) => r.tokenHash.slice(0, 32) === id);
      if (!row) throw notFound('share');
      await db.update(shareLinks).set({ revokedAt: clock() }).where(eq(shareLinks.tokenHash, row.tokenHash));
    },

    /** What a third party sees through a link: the chosen fields, the status, and a bundle that verifies. */
    async openShareLink(token: string): Promise<{ certificate: CertificateView; bundle: CertificateBundle }> {
      if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) throw notFound('share');
      const [row] = await db
        .select()
        .from(shareLinks)
        .where(and(eq(shareLinks.tokenHash, hashToken(token)), isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, clock())));
      if (!row) throw notFound('share');
      const cert = await repo.findById(db, row.certificateId);
      if (!cert) throw notFound('share');
      return certificates.sharedView(cert, row.fields);
    },
  };
}

export type SharingService = ReturnType<typeof createSharingService>;
