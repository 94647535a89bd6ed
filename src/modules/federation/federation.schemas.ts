import { Type } from '@sinclair/typebox';

const MemberKeySchema = Type.Object({
  keyId: Type.String(),
  alg: Type.Literal('sm2-sm3'),
  publicKeySpki: Type.String({ description: 'SubjectPublicKeyInfo DER, base64' }),
  notBefore: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
});

export const NodeInfo = Type.Object({
  role: Type.Union([Type.Literal('hub'), Type.Literal('province')]),
  memberId: Type.String(),
  name: Type.String(),
  endpoint: Type.String(),
  key: MemberKeySchema,
  certificatePem: Type.String(),
  chainPem: Type.String(),
});

export const HubInfo = Type.Object({
  memberId: Type.String(),
  name: Type.String(),
  key: MemberKeySchema,
  certificatePem: Type.String(),
  chainPem: Type.String(),
});

const Signature = Type.Object({ keyId: Type.String(), alg: Type.Literal('sm2-sm3'), value: Type.String() });

export const SignedDirectory = Type.Object(
  {
    document: Type.Object({
      kind: Type.Literal('yiban-federation-directory'),
      version: Type.Number(),
      issuedAt: Type.String(),
      hub: Type.String(),
      members: Type.Array(
        Type.Object({
          memberId: Type.String(),
          name: Type.String(),
          endpoint: Type.String(),
          keys: Type.Array(MemberKeySchema),
          services: Type.Array(Type.String()),
          datasets: Type.Array(Type.String()),
          ledger: Type.Optional(Type.Object({ logVkey: Type.String(), witnessVkey: Type.String() })),
        }),
      ),
    }),
    signature: Signature,
  },
  { description: 'SM2 signature (SM3, default ID, DER, base64) over the UTF-8 of the canonical JSON (RFC 8785) of `document`' },
);

const CertificateRef = Type.Object({ certificate: Type.String(), chain: Type.Optional(Type.String()) });

export const SignedTrustList = Type.Object({
  document: Type.Object({
    kind: Type.Literal('yiban-national-trust-list'),
    version: Type.Literal(1),
    issuedAt: Type.String(),
    serial: Type.Number(),
    roots: Type.Array(Type.String()),
    intermediates: Type.Array(Type.String()),
    statusSigners: Type.Record(Type.String(), CertificateRef),
    provinces: Type.Array(
      Type.Object({ memberId: Type.String(), name: Type.String(), rootCertificate: Type.String(), nationalCertificate: Type.String() }),
    ),
  }),
  signature: Signature,
  signer: Type.Object({ certificate: Type.String(), chain: Type.String() }),
});

export const JoinAnswer = Type.Object({ memberId: Type.String(), status: Type.String() });

export const MessageAnswer = Type.Object({
  id: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  replayed: Type.Optional(Type.Boolean()),
  result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  error: Type.Optional(Type.Object({ code: Type.String(), params: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })),
});

export const ReceiptParams = Type.Object({
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  id: Type.String({ format: 'uuid' }),
});

export const Receipt = Type.Object({
  id: Type.String(),
  direction: Type.String(),
  from: Type.String(),
  to: Type.String(),
  type: Type.String(),
  bodyDigest: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  ledgerEntryId: Type.Union([Type.Integer(), Type.Null()]),
  doneAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

export const PublishedCheckpoints = Type.Object({
  members: Type.Array(
    Type.Object({
      memberId: Type.String(),
      name: Type.String(),
      origin: Type.Union([Type.String(), Type.Null()]),
      size: Type.Union([Type.Integer(), Type.Null()]),
      checkpoint: Type.Union([
        Type.String({ description: 'C2SP signed note: the log signature and every cosignature reported' }),
        Type.Null(),
      ]),
      cosigners: Type.Array(Type.String()),
      equivocating: Type.Boolean(),
      evidence: Type.Array(
        Type.Object({ kind: Type.String(), detail: Type.String(), noteA: Type.String(), noteB: Type.String(), detectedAt: Type.String() }),
      ),
    }),
  ),
});

export const CosignedParams = Type.Object({
  witness: Type.String({
    pattern: '^CN/GOV/\\d{6}/[a-z][a-z0-9-]{0,31}$',
    maxLength: 50,
    description: 'the member id of the witness (URL-encoded)',
  }),
  originHash: Type.String({ pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64 }),
});

const KeyView = Type.Object({
  keyId: Type.String(),
  fingerprint: Type.String({ description: 'SHA-256 of the public key (SubjectPublicKeyInfo DER), hex' }),
  notBefore: Type.String(),
  notAfter: Type.String(),
});

const MemberView = Type.Object({
  memberId: Type.String(),
  name: Type.String(),
  endpoint: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('revoked')]),
  requestedAt: Type.String(),
  approvedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  rejectedAt: Type.Union([Type.String(), Type.Null()]),
  rejectionReason: Type.Union([Type.String(), Type.Null()], { description: 'the operator’s reason for a rejected request' }),
  rootSubject: Type.String({ description: 'the member root certificate’s subject (RFC 4514)' }),
  rootFingerprint: Type.String({ description: 'SHA-256 of the root certificate (DER), hex' }),
  keys: Type.Array(KeyView),
  keyChange: Type.Union([
    Type.Intersect([KeyView, Type.Object({ signedBy: Type.String(), requestedAt: Type.String() })], {
      description: 'a key change waiting for approval',
    }),
    Type.Null(),
  ]),
});

export const MemberViewSchema = MemberView;
export const MemberList = Type.Object({ items: Type.Array(MemberView) });
export const RejectBody = Type.Object({
  reason: Type.Optional(Type.String({ maxLength: 500, description: '驳回理由 · why (shown with the rejected request)' })),
});

export const MemberQuery = Type.Object({
  state: Type.Optional(
    Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('revoked')], {
      description: 'pending: new requests and approved members with a key change waiting',
    }),
  ),
});

export const MemberParams = Type.Object({
  memberId: Type.String({
    pattern: '^CN/GOV/\\d{6}/[a-z][a-z0-9-]{0,31}$',
    maxLength: 50,
    description: 'the member id, URL-encoded (CN%2FGOV%2F130000%2Fyiban)',
  }),
});

export const ForeignStatusListParams = Type.Object({
  purpose: Type.Union([Type.Literal('revocation'), Type.Literal('suspension')]),
});

export const ForeignStatusListQuery = Type.Object({
  list: Type.String({
    minLength: 1,
    maxLength: 2048,
    pattern: '^https?://\\S+$',
    description: 'the status list URL the certificate names (`status.list`)',
  }),
});
