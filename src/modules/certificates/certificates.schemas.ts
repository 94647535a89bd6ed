/**
 * Request and response schemas of the certificates routes (certificates, sharing, seals; the
 * public verification routes' are in verification.schemas.ts). A schema with an `$id` and the same `title` is a named component of the OpenAPI document
 * (src/http/openapi-components.ts); the service returns `Static<typeof …>` of the response ones.
 */
import { Type } from '@sinclair/typebox';
import { Nullable, PageQuery, Uuid } from '../../http/schemas.ts';

export const Label = Type.Object({ zh: Type.String(), en: Type.String() });
export const KeyWithChain = Type.Object({ certificate: Type.String(), chain: Type.Optional(Type.String()) });

export const CertificateViewSchema = Type.Object(
  {
    id: Type.String(),
    identifier: Type.String({ description: '电子证照标识 (GB/T 36904)' }),
    type: Type.String(),
    typeName: Label,
    issuer: Type.Object({ code: Type.String(), name: Type.String() }),
    holder: Type.Object({ name: Type.String(), residentIdMasked: Type.String() }),
    issuedAt: Type.String(),
    validUntil: Nullable(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('suspended')]),
    statusReason: Nullable(Type.String()),
    fields: Type.Array(Type.Object({ name: Type.String(), labelZh: Type.String(), labelEn: Type.String(), value: Type.String() })),
    caseId: Type.String(),
    ledgerEntryId: Type.Integer({ description: 'its certificate.issued ledger entry (the index is in the bundle once sequenced)' }),
  },
  { $id: 'Certificate', title: 'Certificate' },
);

export const CertificatePageSchema = Type.Object(
  { items: Type.Array(CertificateViewSchema), next: Nullable(Type.String()) },
  { $id: 'CertificatePage', title: 'CertificatePage' },
);

const documentProperties = {
  payload: Type.String({ description: 'RFC 8785 canonical JSON: exactly the bytes the seal signed' }),
  signature: Type.String({ description: 'base64; DER (r, s) for SM2' }),
  disclosures: Type.Array(Type.Object({ name: Type.String(), value: Type.String(), salt: Type.String() })),
};

export const CertificateDocumentSchema = Type.Object(documentProperties, { $id: 'CertificateDocument', title: 'CertificateDocument' });

export const CertificateBundleSchema = Type.Object(
  {
    ...documentProperties,
    seal: Type.Optional(KeyWithChain),
    ledger: Type.Optional(Type.Object({ index: Type.Integer(), proof: Type.Array(Type.String()), checkpoint: Type.String() })),
  },
  { $id: 'CertificateBundle', title: 'CertificateBundle' },
);

export const CertificateQrSchema = Type.Object(
  { qr: Type.String(), length: Type.Integer() },
  { $id: 'CertificateQr', title: 'CertificateQr' },
);

export const MineQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const FieldsQuery = Type.Object(
  {
    fields: Type.Optional(
      Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9_, ]*$', description: '只披露这些字段（逗号分隔）/ disclose only these fields' }),
    ),
  },
  { additionalProperties: false },
);

export const StatusChangeBody = Type.Object(
  {
    status: Type.Union([Type.Literal('revoked'), Type.Literal('suspended'), Type.Literal('active')]),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false, $id: 'CertificateStatusBody', title: 'CertificateStatusBody' },
);

// Registered signatures and share links.

const SignatureStatus = Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('retired')]);

export const SignatureSchema = Type.Object(
  {
    id: Type.String(),
    accountId: Type.String(),
    orgCode: Type.String(),
    status: SignatureStatus,
    image: Type.String(),
    uploadedAt: Type.String(),
    activatedAt: Nullable(Type.String()),
  },
  { $id: 'RegisteredSignature', title: 'RegisteredSignature' },
);

export const SignatureListSchema = Type.Object({ items: Type.Array(SignatureSchema) }, { $id: 'SignatureList', title: 'SignatureList' });

export const SignatureBody = Type.Object(
  { image: Type.String({ maxLength: 300_000, description: 'data:image/png;base64,…' }) },
  { additionalProperties: false, $id: 'SignatureBody', title: 'SignatureBody' },
);

export const SignatureQuery = Type.Object({ status: Type.Optional(SignatureStatus) }, { additionalProperties: false });

export const ShareSchema = Type.Object(
  {
    id: Type.String(),
    certificateId: Type.String(),
    fields: Type.Array(Type.String()),
    expiresAt: Type.String(),
    revoked: Type.Boolean(),
    // Only when just created: the secret part of the link is never stored in clear.
    token: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
  },
  { $id: 'Share', title: 'Share' },
);

export const ShareListSchema = Type.Object({ items: Type.Array(ShareSchema) }, { $id: 'ShareList', title: 'ShareList' });

export const ShareBody = Type.Object(
  {
    fields: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: 30 })),
    hours: Type.Integer({ minimum: 1, maximum: 720 }),
  },
  { additionalProperties: false, $id: 'ShareBody', title: 'ShareBody' },
);

export const ShareParams = Type.Object({ id: Uuid, shareId: Type.String({ pattern: '^[0-9a-f]{32}$' }) });
export const SharedTokenParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$' }) });

export const SharedCertificateSchema = Type.Object(
  { certificate: CertificateViewSchema, bundle: Type.Unknown() },
  { $id: 'SharedCertificate', title: 'SharedCertificate' },
);

// Seals.

export const SealKeySchema = Type.Object(
  {
    keyId: Type.String(),
    algorithm: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
    notBefore: Type.String(),
    notAfter: Type.String(),
    subject: Type.String(),
    issuer: Type.String(),
    serial: Type.String(),
    // SHA-256 of the certificate DER, hex.
    fingerprint: Type.String(),
    certificatePem: Type.String(),
  },
  { $id: 'SealKey', title: 'SealKey' },
);

export const OrgSealSchema = Type.Object(
  {
    orgCode: Type.String(),
    orgName: Type.String(),
    // The round red seal as the PDF draws it.
    image: Type.String({ description: 'data:image/svg+xml;base64,…' }),
    // Active key first; empty until the org issues its first certificate (the key is created then).
    keys: Type.Array(SealKeySchema),
  },
  { $id: 'OrgSeal', title: 'OrgSeal' },
);
