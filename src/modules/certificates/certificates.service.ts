import { randomBytes, randomInt } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import type { Db, Executor } from '../../db/database.ts';
import { hasRoleFor, requireResidentScope, type Principal } from '../identity/principal.ts';
import type { StaffRole } from '../identity/identity.tables.ts';
import { divisionCreditCode } from '../orgs/credit-code.ts';
import type { EventsService } from '../events/events.service.ts';
import { formatIdentifier } from '../../verify/identifier.ts';
import {
  canonicalJson,
  type CertificateDocument,
  type Disclosure,
  type SignatureAlgorithm,
  type SignedPayload,
} from '../../verify/document.ts';
import type { CertificateBundle } from '../../verify/bundle.ts';
import { verifyCertificate, type TrustAnchors, type VerificationResult } from '../../verify/verify-certificate.ts';
import { parsePayload } from '../../verify/document.ts';
import * as repo from './certificates.repository.ts';
import { renderCertificatePdf } from './pdf/render-certificate-pdf.ts';
import { createPdfRenditionCache } from './pdf/pdf-cache.ts';
import type { PdfKey } from './pdf/cms.ts';
import type { CertificateField, CertificateStatus } from './certificates.tables.ts';
import type { CertificateTypeDef } from './certificate-types.seed.ts';
import { prepareBatchIssue, type BatchItem, type PreparedBatch } from './batch-issue.ts';
import { createStatusLists, type StatusListOptions, type StatusListTarget } from './status-lists.ts';
import { canonicalPayload, fieldDigestFast, issuanceLeafFast } from './digests.ts';
import { createStatusCredentials, type StatusCredentialOptions, type StatusKey } from './status-credentials.ts';
import type { StatusListCredential } from '../../verify/status-credential.ts';
import type { DisclosureVault } from './disclosure-vault.ts';

export { FIRST_STATUS_LIST, STATUS_LIST_SIZE } from './status-lists.ts';

/** A seal that signs: the org's key, chosen per key as SM2 or Ed25519. */
export interface SealSigner {
  keyId: string;
  algorithm: SignatureAlgorithm;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface SealKeyProvider {
  ensureSealKey(org: { code: string; name: string; creditCode: string }): Promise<SealSigner>;
}

/** Queues leaves in the caller's transaction; the ledger's sequencer numbers them later. */
export interface LedgerAppender {
  appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }>;
  appendManyInTx(tx: Executor, entries: readonly { id?: number; kind: string; data: Uint8Array }[]): Promise<{ ids: number[] }>;
  /** Entry ids drawn before the entries are queued, for rows inserted first that name them. */
  newEntryIds(tx: Executor, count: number): Promise<number[]>;
}

export interface IssuerDirectory {
  getOrg(code: string): Promise<{ code: string; name: string; level: string; path: string; divisionCode: string } | null>;
}

export interface HolderDirectory {
  getResidentSummary(id: string): Promise<{ accountId: string; name: string; residentIdMasked: string } | null>;
  revealResidentId(id: string): Promise<string | null>;
  /** Both of the above for many holders in one query (batch issuance). */
  revealHolders(ids: readonly string[]): Promise<Map<string, { name: string; residentIdMasked: string; residentId: string }>>;
}

/** Published key material: seal certificates and the pinned roots. */
export interface PublicKeys {
  getPublicKey(keyId: string): Promise<{ certificatePem: string; chainPem: string } | null>;
  getTrustAnchors(): Promise<{ certificatePem: string }[]>;
}

/** The platform's status list key: the signer, and the published certificates of its current and retired keys. */
export interface StatusKeys {
  signer(): Promise<StatusKey>;
  published(): Promise<{ keyId: string; certificatePem: string; chainPem: string }[]>;
}

/** Ledger evidence for bundles. */
export interface LedgerProofs {
  latestCheckpoint(): Promise<{ size: number; note: string }>;
  inclusionProof(index: number, size?: number): Promise<{ hashes: Uint8Array[] }>;
  /** The indexes of the sequenced entries among `ids`. */
  indexesOf(ids: readonly number[]): Promise<Map<number, number>>;
  vkey(): Promise<string>;
}

/** What a form field's select value reads as on a certificate. */
export interface FormLabels {
  labelFor(serviceCode: string, field: string, value: string): Promise<string>;
}

export interface CertificatesDeps {
  db: Db;
  seals: SealKeyProvider;
  ledger: LedgerAppender;
  events: EventsService;
  orgs: IssuerDirectory;
  holders: HolderDirectory;
  labels: FormLabels;
  keys: PublicKeys;
  proofs: LedgerProofs;
  /** The platform's PDF signing key (ECDSA P-256, a chain PDF tools understand). */
  pdfKey: () => Promise<PdfKey>;
  /** Public base URL of this deployment, for status list links. */
  publicUrl: string;
  /** Seals disclosures at rest: created from the master key (disclosure-vault.ts). */
  vault: DisclosureVault;
  /** Size and rollover fill of new status lists (defaults: 131,072 entries, 50 %). */
  statusLists?: StatusListOptions;
  /** Signs the status list credentials. */
  statusKeys: StatusKeys;
  /** Validity and re-signing of the served status lists (defaults: valid 6 h, re-signed hourly and on change). */
  statusCredentials?: StatusCredentialOptions;
  clock?: () => Date;
}

const STATUS_ROLES: readonly StaffRole[] = [
  'village_reviewer',
  'department_officer',
  'township_admin',
  'county_admin',
  'city_admin',
  'platform_admin',
];

export interface IssueInput {
  caseId: string;
  serviceCode: string;
  applicantId: string;
  orgCode: string;
  form: Record<string, string>;
  reviewerId: string;
}

/** The certificates of a batch approval, prepared before its transaction. */
export interface PreparedIssues {
  /** Signed and ready: the step issues them in the decision's transaction. Null when none is. */
  batch: PreparedBatch | null;
  /** Cases whose service issues no certificate. */
  none: ReadonlySet<string>;
  /** Cases that cannot be issued for (holder or issuer missing), and why. */
  failed: ReadonlyMap<string, AppError>;
}

/** Parallel reads before a batch's transaction; PGlite runs them one by one anyway. */
const PREPARE_CONCURRENCY = 8;

export interface CertificateView {
  id: string;
  identifier: string;
  type: string;
  typeName: { zh: string; en: string };
  issuer: { code: string; name: string };
  holder: { name: string; residentIdMasked: string };
  issuedAt: string;
  validUntil: string | null;
  status: CertificateStatus;
  statusReason: string | null;
  fields: { name: string; labelZh: string; labelEn: string; value: string }[];
  caseId: string;
  /** Its `certificate.issued` ledger entry; its index and proof are in the bundle once sequenced. */
  ledgerEntryId: number;
}

/** A certificate as evidence (免证明): its identifier, issue and issuer, and its disclosed field values. */
export interface LicenceEvidence {
  identifier: string;
  issuedAt: string;
  issuerName: string;
  validUntil: string | null;
  fields: Record<string, string>;
}

export function createCertificatesService(deps: CertificatesDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const lists = createStatusLists(deps.publicUrl, deps.statusLists);
  const statusCredentials = createStatusCredentials({
    publicUrl: deps.publicUrl,
    signer: () => deps.statusKeys.signer(),
    sizeOf: (list) => lists.sizeOf(db, list),
    indexes: (list, purpose) => repo.statusIndexes(db, list, purpose === 'revocation' ? 'revoked' : 'suspended'),
    clock,
    ...(deps.statusCredentials ? { options: deps.statusCredentials } : {}),
  });
  /** A row's disclosures in clear: only in memory, for the view, document, PDF or licence asked for. */
  const disclosuresOf = (row: repo.CertificateRow): Disclosure[] => deps.vault.open(row.identifier, row.disclosures);

  async function fieldValue(
    field: CertificateField,
    input: IssueInput,
    holder: { name: string; residentIdMasked: string },
    residentId: string,
    issuerName: string,
  ): Promise<string> {
    switch (field.source) {
      case 'holder.name':
        return holder.name;
      case 'holder.residentIdMasked':
        return holder.residentIdMasked;
      case 'holder.residentId':
        return residentId;
      case 'issuer.name':
        return issuerName;
      case 'form': {
        const raw = input.form[field.formField ?? field.name] ?? '';
        return raw ? deps.labels.labelFor(input.serviceCode, field.formField ?? field.name, raw) : '';
      }
    }
  }

  function toView(row: repo.CertificateRow, type: repo.CertificateTypeRow | undefined, fieldsShown?: readonly string[]): CertificateView {
    const payload = JSON.parse(row.payload) as SignedPayload;
    const labels = new Map((type?.fields ?? []).map((f) => [f.name, f]));
    const shown = fieldsShown ? new Set(fieldsShown) : null;
    return {
      id: row.id,
      identifier: row.identifier,
      type: row.typeCode,
      typeName: payload.typeName,
      issuer: { code: payload.issuer.code, name: payload.issuer.name },
      holder: payload.holder,
      issuedAt: payload.issuedAt,
      validUntil: payload.validUntil,
      status: row.status,
      statusReason: row.statusReason,
      fields: disclosuresOf(row)
        .filter((d) => (shown ? shown.has(d.name) : d.name !== 'residentId'))
        .map((d) => ({
          name: d.name,
          labelZh: labels.get(d.name)?.labelZh ?? d.name,
          labelEn: labels.get(d.name)?.labelEn ?? d.name,
          value: d.value,
        })),
      caseId: row.caseId,
      ledgerEntryId: row.ledgerEntryId,
    };
  }

  async function loadVisible(principal: Principal, id: string): Promise<repo.CertificateRow> {
    if (!isUuid(id)) throw notFound('certificate');
    const row = await repo.findById(db, id);
    if (!row) throw notFound('certificate');
    if (principal.kind === 'resident' || principal.actingFor) {
      let holderId: string | null = null;
      try {
        holderId = requireResidentScope(principal, 'certificates.view');
      } catch {
        holderId = null;
      }
      if (holderId !== row.holderId) throw notFound('certificate');
    } else if (!hasRoleFor(principal, [...STATUS_ROLES, 'supervisor'], row.issuerOrgPath)) {
      throw notFound('certificate');
    }
    return row;
  }

  async function issueInTx(
    tx: Executor,
    p: {
      input: IssueInput;
      type: repo.CertificateTypeRow;
      issuer: { code: string; name: string; path: string; creditCode: string };
      holder: { name: string; residentIdMasked: string };
      seal: SealSigner;
      values: { name: string; value: string }[];
      statusList: StatusListTarget;
    },
  ): Promise<repo.CertificateRow> {
    const { input, type, issuer, holder, seal, statusList } = p;
    const existing = await repo.findByCase(tx, input.caseId);
    if (existing) return existing;
    const disclosures: Disclosure[] = p.values.map((v) => ({ ...v, salt: randomBytes(16).toString('hex') }));
    const issuedAt = clock();
    const validUntil = type.validityDays ? new Date(issuedAt.getTime() + type.validityDays * 86_400_000) : null;
    const serial = await repo.nextSerial(tx);
    const identifier = formatIdentifier({
      typeCode: type.typeCode,
      issuerCode: issuer.creditCode,
      serial: String(serial).padStart(10, '0'),
      version: '001',
    });
    for (let attempt = 0; attempt < 20; attempt++) {
      const statusIndex = randomInt(statusList.size);
      const payload: SignedPayload = {
        v: 1,
        id: identifier,
        type: type.code,
        typeName: { zh: type.nameZh, en: type.nameEn },
        issuer: { code: issuer.code, name: issuer.name, creditCode: issuer.creditCode },
        holder,
        issuedAt: issuedAt.toISOString(),
        validUntil: validUntil?.toISOString() ?? null,
        status: { list: statusList.url, index: statusIndex },
        keyId: seal.keyId,
        alg: seal.algorithm,
        fields: disclosures.map(fieldDigestFast).sort(),
      };
      const payloadText = canonicalPayload(payload);
      const signature = Buffer.from(await seal.sign(new TextEncoder().encode(payloadText))).toString('base64');
      // A savepoint, so that a lost race for the status slot does not abort the whole approval.
      const row = await tx.transaction(async (sp) => {
        const [ledgerEntryId] = await deps.ledger.newEntryIds(sp, 1);
        const inserted = await repo.insertCertificate(sp, {
          serial,
          identifier,
          caseId: input.caseId,
          typeCode: type.code,
          holderId: input.applicantId,
          issuerOrgCode: issuer.code,
          issuerOrgPath: issuer.path,
          reviewerId: input.reviewerId,
          keyId: seal.keyId,
          payload: payloadText,
          signature,
          disclosures: deps.vault.seal(identifier, disclosures),
          statusList: statusList.list,
          statusIndex,
          ledgerEntryId: ledgerEntryId!,
          issuedAt,
          validUntil,
        });
        if (!inserted) return null;
        await deps.ledger.appendManyInTx(sp, [
          { id: ledgerEntryId!, kind: 'certificate.issued', data: new TextEncoder().encode(issuanceLeafFast(payload, payloadText)) },
        ]);
        await lists.countIssued(sp, statusList.list, 1);
        await deps.events.enqueue(sp, {
          topic: 'certificate.issued',
          payload: { certificateId: inserted.id, identifier, caseId: input.caseId, holderId: input.applicantId },
        });
        return inserted;
      });
      if (row) return row;
    }
    throw new AppError('CONFLICT', { detail: { zh: '状态列表已满', en: 'the status list is full' } });
  }

  // PDFs are rendered on demand and kept while their certificate's status stays the same.
  const pdfCache = createPdfRenditionCache();

  async function withEvidence(doc: CertificateDocument, row: repo.CertificateRow): Promise<CertificateBundle> {
    const bundle: CertificateBundle = { ...doc };
    const key = await deps.keys.getPublicKey(row.keyId);
    if (key) bundle.seal = { certificate: key.certificatePem, chain: key.chainPem };
    const checkpoint = await deps.proofs.latestCheckpoint();
    // No proof while the entry waits for the sequencer (well under a second) or its checkpoint.
    const index = (await deps.proofs.indexesOf([row.ledgerEntryId])).get(row.ledgerEntryId);
    if (index !== undefined && checkpoint.size > index) {
      const proof = await deps.proofs.inclusionProof(index, checkpoint.size);
      bundle.ledger = { index, proof: proof.hashes.map((h) => Buffer.from(h).toString('base64')), checkpoint: checkpoint.note };
    }
    return bundle;
  }

  const service = {
    async upsertTypes(types: CertificateTypeDef[]): Promise<void> {
      for (const t of types) await repo.upsertType(db, t);
    },

    async listTypes() {
      return repo.listTypes(db);
    },

    /**
     * Prepares the certificate of a case being approved: reads the type, the issuer, the holder
     * and the seal before the transaction; the step it returns issues inside the approval's
     * transaction — identifier, canonical payload, seal signature, status slot, ledger leaf and
     * outbox event commit or roll back together. Null when the service issues no certificate.
     */
    async prepareIssue(input: IssueInput): Promise<((tx: Executor) => Promise<repo.CertificateRow>) | null> {
      const type = await repo.findTypeByService(db, input.serviceCode);
      if (!type) return null;
      const issuer = await deps.orgs.getOrg(input.orgCode);
      if (!issuer) throw notFound('org');
      const creditCode = issuer.level === 'department' ? issuer.code : divisionCreditCode(issuer.divisionCode);
      const [holder, residentId] = await Promise.all([
        deps.holders.getResidentSummary(input.applicantId),
        deps.holders.revealResidentId(input.applicantId),
      ]);
      if (!holder || !residentId) throw notFound('resident');
      const seal = await deps.seals.ensureSealKey({ code: issuer.code, name: issuer.name, creditCode });
      const values: { name: string; value: string }[] = [];
      for (const field of type.fields)
        values.push({ name: field.name, value: await fieldValue(field, input, holder, residentId, issuer.name) });
      // Outside the approval's transaction: opening the next list then commits on its own.
      const statusList = await lists.forIssue(db, 1);
      return (tx) =>
        issueInTx(tx, {
          input,
          type,
          issuer: { ...issuer, creditCode },
          holder: { name: holder.name, residentIdMasked: holder.residentIdMasked },
          seal,
          values,
          statusList,
        });
    },

    /**
     * `prepareIssue` for many cases at once: the type, issuer and seal are read once per
     * service and org, the payloads signed before the transaction; the batch's step writes
     * certificates, outbox events and ledger leaves with one statement each.
     */
    async prepareIssueMany(inputs: readonly IssueInput[]): Promise<PreparedIssues> {
      const types = new Map<string, Promise<repo.CertificateTypeRow | undefined>>();
      const issuers = new Map<string, Promise<{ issuer: BatchItem['issuer']; seal: SealSigner }>>();
      const typeOf = (serviceCode: string) => {
        let t = types.get(serviceCode);
        if (!t) types.set(serviceCode, (t = repo.findTypeByService(db, serviceCode)));
        return t;
      };
      const issuerOf = (orgCode: string) => {
        let i = issuers.get(orgCode);
        if (!i) {
          i = (async () => {
            const org = await deps.orgs.getOrg(orgCode);
            if (!org) throw notFound('org');
            const creditCode = org.level === 'department' ? org.code : divisionCreditCode(org.divisionCode);
            const seal = await deps.seals.ensureSealKey({ code: org.code, name: org.name, creditCode });
            return { issuer: { code: org.code, name: org.name, path: org.path, creditCode }, seal };
          })();
          issuers.set(orgCode, i);
        }
        return i;
      };
      const none = new Set<string>();
      const failed = new Map<string, AppError>();
      const items: BatchItem[] = [];
      const holders = await deps.holders.revealHolders([...new Set(inputs.map((i) => i.applicantId))]);
      const prepareOne = async (input: IssueInput) => {
        const type = await typeOf(input.serviceCode);
        if (!type) {
          none.add(input.caseId);
          return;
        }
        try {
          const { issuer, seal } = await issuerOf(input.orgCode);
          const holder = holders.get(input.applicantId);
          if (!holder) throw notFound('resident');
          const { residentId } = holder;
          const values: { name: string; value: string }[] = [];
          for (const field of type.fields)
            values.push({ name: field.name, value: await fieldValue(field, input, holder, residentId, issuer.name) });
          items.push({
            caseId: input.caseId,
            applicantId: input.applicantId,
            reviewerId: input.reviewerId,
            type,
            issuer,
            holder: { name: holder.name, residentIdMasked: holder.residentIdMasked },
            seal,
            values,
          });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          failed.set(input.caseId, error);
        }
      };
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(PREPARE_CONCURRENCY, inputs.length) }, async () => {
          while (next < inputs.length) await prepareOne(inputs[next++]!);
        }),
      );
      const batch =
        items.length > 0
          ? await prepareBatchIssue(
              db,
              {
                ledger: deps.ledger,
                events: deps.events,
                vault: deps.vault,
                statusList: await lists.forIssue(db, items.length),
                statusLists: lists,
              },
              items,
              clock(),
            )
          : null;
      return { batch, none, failed };
    },

    async get(principal: Principal, id: string): Promise<CertificateView> {
      const row = await loadVisible(principal, id);
      return toView(row, await repo.findType(db, row.typeCode));
    },

    async getByCase(principal: Principal, caseId: string): Promise<CertificateView> {
      const row = isUuid(caseId) ? await repo.findByCase(db, caseId) : null;
      if (!row) throw notFound('certificate');
      return service.get(principal, row.id);
    },

    /** The signed document (payload, signature, disclosures) for export and verification. */
    async document(principal: Principal, id: string, fields?: readonly string[]): Promise<CertificateDocument> {
      const row = await loadVisible(principal, id);
      const keep = fields ? new Set(fields) : null;
      return { payload: row.payload, signature: row.signature, disclosures: disclosuresOf(row).filter((d) => !keep || keep.has(d.name)) };
    },

    /** The document with its evidence — seal chain and ledger inclusion — so that it verifies on its own. */
    async bundle(principal: Principal, id: string, fields?: readonly string[]): Promise<CertificateBundle> {
      const doc = await service.document(principal, id, fields);
      const row = await repo.findById(db, id);
      if (!row) throw notFound('certificate');
      return withEvidence(doc, row);
    },

    /** A view and bundle limited to `fields`, for a share link already checked by the caller. */
    async sharedView(
      row: repo.CertificateRow,
      fields: readonly string[],
    ): Promise<{ certificate: CertificateView; bundle: CertificateBundle }> {
      const keep = new Set(fields);
      const doc: CertificateDocument = {
        payload: row.payload,
        signature: row.signature,
        disclosures: disclosuresOf(row).filter((d) => keep.has(d.name)),
      };
      return { certificate: toView(row, await repo.findType(db, row.typeCode), fields), bundle: await withEvidence(doc, row) };
    },

    /** The signed A4 PDF: template text, seal, the reviewer's registered signature, QR, embedded bundle. */
    async pdf(principal: Principal, id: string, fields?: readonly string[]): Promise<{ identifier: string; bytes: Uint8Array }> {
      const row = await loadVisible(principal, id);
      const shown = fields ?? row.disclosures.map((d) => d.name).filter((n) => n !== 'residentId');
      // The names are stored in clear; values are opened only for the rendering below.
      const bytes = await pdfCache.get({ certificateId: row.id, status: row.status, fields: shown }, async () => {
        const [type, bundle, signingKey, reviewerSignature] = await Promise.all([
          repo.findType(db, row.typeCode),
          withEvidence(
            { payload: row.payload, signature: row.signature, disclosures: disclosuresOf(row).filter((d) => shown.includes(d.name)) },
            row,
          ),
          deps.pdfKey(),
          repo.activeSignatureImage(db, row.reviewerId),
        ]);
        if (!type) throw notFound('certificate');
        return renderCertificatePdf({
          certificate: toView(row, type, shown),
          template: type.template,
          bundle,
          signingKey,
          publicUrl: deps.publicUrl,
          sealBottomText: '电子证明专用章',
          ...(reviewerSignature ? { reviewerSignature } : {}),
        });
      });
      return { identifier: row.identifier, bytes };
    },

    /** The configured public base URL (links in certificates, status lists and the JSON-LD context). */
    publicUrl: deps.publicUrl,

    /** The anchors a verifier pins: root certificates, the ledger's key and the status list keys. */
    async trustAnchors(): Promise<TrustAnchors> {
      // The status key exists before its certificate is published (created on first use).
      await deps.statusKeys.signer();
      const [roots, vkey, statusKeys] = await Promise.all([deps.keys.getTrustAnchors(), deps.proofs.vkey(), deps.statusKeys.published()]);
      return {
        version: 1,
        roots: roots.map((r) => r.certificatePem),
        ledger: { vkey },
        statusSigners: Object.fromEntries(
          statusKeys.map((k) => [k.keyId, { certificate: k.certificatePem, ...(k.chainPem ? { chain: k.chainPem } : {}) }]),
        ),
      };
    },

    /** The signed status list credential of a list, null when there is no such list. */
    async statusListCredential(list: string, purpose: 'revocation' | 'suspension'): Promise<StatusListCredential | null> {
      return statusCredentials.credential(list, purpose);
    },

    /** The lists that exist, with their credentials' URLs (so that verifiers fetch only those). */
    async statusListIndex(): Promise<{ id: string; revocation: string; suspension: string }[]> {
      return (await repo.listStatusLists(db)).map((id) => ({
        id: String(id),
        revocation: `${lists.url(String(id))}/revocation`,
        suspension: `${lists.url(String(id))}/suspension`,
      }));
    },

    /** Verification with this deployment's own anchors and current status lists. */
    async verify(bundle: CertificateBundle, options: { at?: Date } = {}): Promise<VerificationResult> {
      const payload = parsePayload(bundle.payload);
      // The payload's own list, when it is one of this deployment's; otherwise no status evidence.
      const list = payload ? lists.listOf(payload.status.list) : null;
      const [trust, revocation, suspension] = await Promise.all([
        service.trustAnchors(),
        list ? service.statusBits(list, 'revocation') : null,
        list ? service.statusBits(list, 'suspension') : null,
      ]);
      return verifyCertificate(bundle, trust, { ...options, status: { revocation, suspension } });
    },

    /** The decoded bitstring of a list, null when there is no such list. */
    async statusBits(list: string, purpose: 'revocation' | 'suspension'): Promise<Uint8Array | null> {
      const size = await lists.sizeOf(db, list);
      if (size === null) return null;
      const bits = new Uint8Array(size / 8);
      for (const i of await service.statusListIndexes(list, purpose)) bits[i >> 3]! |= 0x80 >> (i & 7);
      return bits;
    },

    async listMine(principal: Principal, page: { after?: string; limit?: number }) {
      const holderId = requireResidentScope(principal, 'certificates.view');
      const limit = page.limit ?? 20;
      const before = page.after ? Number(decodeCursor(page.after, 1)[0]) : undefined;
      const rows = await repo.listByHolder(db, holderId, before, limit);
      const types = new Map((await repo.listTypes(db)).map((t) => [t.code, t]));
      const last = rows.at(-1);
      return {
        items: rows.map((r) => toView(r, types.get(r.typeCode))),
        next: rows.length === limit && last ? encodeCursor([last.serial]) : null,
      };
    },

    /**
     * Internal (the e-licence library in sharing): the holder's newest active, unexpired
     * certificate of a type, as evidence a consumer can cite and verify by its identifier. A
     * revoked, suspended or expired certificate is no evidence: null. The caller checks access.
     */
    async findLicence(holderId: string, typeCode: string): Promise<LicenceEvidence | null> {
      if (!isUuid(holderId)) return null;
      const row = await repo.findCurrentOfType(db, holderId, typeCode, clock());
      if (!row) return null;
      const payload = JSON.parse(row.payload) as SignedPayload;
      return {
        identifier: row.identifier,
        issuedAt: payload.issuedAt,
        issuerName: payload.issuer.name,
        validUntil: payload.validUntil,
        fields: Object.fromEntries(disclosuresOf(row).map((d) => [d.name, d.value])),
      };
    },

    /** Revoke, suspend or reinstate: by staff covering the issuer, with a reason, on the ledger. */
    async changeStatus(principal: Principal, id: string, to: CertificateStatus, reason: string): Promise<CertificateView> {
      if (principal.kind !== 'staff' || principal.actingFor) throw notFound('certificate');
      const visible = await loadVisible(principal, id);
      if (!hasRoleFor(principal, STATUS_ROLES, visible.issuerOrgPath)) throw new AppError('FORBIDDEN');
      const why = reason.trim();
      if (!why) throw new AppError('VALIDATION_FAILED', { detail: { zh: '请填写理由', en: 'a reason is required' } });
      await db.transaction(async (tx) => {
        const current = await repo.lockById(tx, id);
        if (!current) throw notFound('certificate');
        const allowed = current.status === 'revoked' ? false : to !== current.status && (to !== 'active' || current.status === 'suspended');
        if (!allowed) {
          throw new AppError('CONFLICT', {
            detail: {
              zh: `证书当前状态为 ${current.status}，不能改为 ${to}`,
              en: `the certificate is ${current.status}; it cannot become ${to}`,
            },
          });
        }
        const at = clock();
        const leaf = canonicalJson({
          kind: `certificate.${to === 'active' ? 'reinstated' : to}`,
          id: current.identifier,
          at: at.toISOString(),
        });
        const { id: ledgerEntryId } = await deps.ledger.appendInTx(tx, { kind: `certificate.${to}`, data: new TextEncoder().encode(leaf) });
        await repo.setStatus(tx, id, { status: to, reason: why, actorId: principal.accountId, at });
        await repo.insertStatusEvent(tx, {
          certificateId: id,
          fromStatus: current.status,
          toStatus: to,
          reason: why,
          actorId: principal.accountId,
          ledgerEntryId,
        });
        await deps.events.enqueue(tx, { topic: 'certificate.status_changed', payload: { certificateId: id, from: current.status, to } });
      });
      return service.get(principal, id);
    },

    /** The number of entries of a status list, null when there is no such list. */
    async statusListSize(list: string): Promise<number | null> {
      return lists.sizeOf(db, list);
    },

    /** The list a certificate's payload names (`status.list`), when it is one of this deployment's. */
    statusListOf(url: string): string | null {
      return lists.listOf(url);
    },

    /** The indexes set in a published status list (revocation or suspension). */
    async statusListIndexes(list: string, purpose: 'revocation' | 'suspension'): Promise<number[]> {
      return repo.statusIndexes(db, list, purpose === 'revocation' ? 'revoked' : 'suspended');
    },
  };
  return service;
}

export type CertificatesService = ReturnType<typeof createCertificatesService>;
