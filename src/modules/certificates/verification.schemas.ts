/** Schemas of the public verification routes: trust anchors, verifying a bundle, status lists (named like certificates.schemas.ts). */
import { Type } from '@sinclair/typebox';
import { KeyWithChain, Label } from './certificates.schemas.ts';

export const StatusListCredentialSchema = Type.Object(
  {
    '@context': Type.Array(Type.String()),
    id: Type.String(),
    type: Type.Array(Type.String()),
    issuer: Type.String(),
    validFrom: Type.String(),
    validUntil: Type.String(),
    credentialSubject: Type.Object({
      id: Type.String(),
      type: Type.Literal('BitstringStatusList'),
      statusPurpose: Type.Union([Type.Literal('revocation'), Type.Literal('suspension')]),
      encodedList: Type.String(),
    }),
    proof: Type.Object({
      type: Type.Literal('DataIntegrityProof'),
      cryptosuite: Type.String(),
      created: Type.String(),
      verificationMethod: Type.String(),
      proofPurpose: Type.Literal('assertionMethod'),
      proofValue: Type.String(),
    }),
  },
  { $id: 'StatusListCredential', title: 'StatusListCredential' },
);

export const TrustAnchorsSchema = Type.Object(
  {
    version: Type.Literal(1),
    roots: Type.Array(Type.String()),
    intermediates: Type.Optional(
      Type.Array(Type.String(), {
        description: '联邦：经国家根交叉签名的省级根证书 · federation: province roots cross-signed by the national root',
      }),
    ),
    seals: Type.Optional(Type.Record(Type.String(), KeyWithChain)),
    ledger: Type.Optional(
      Type.Object({
        vkey: Type.String(),
        witnesses: Type.Optional(Type.Object({ vkeys: Type.Array(Type.String()), threshold: Type.Integer() })),
      }),
    ),
    statusSigners: Type.Optional(
      Type.Record(Type.String(), KeyWithChain, {
        description: '签署状态列表的密钥 · keys that sign status lists',
      }),
    ),
  },
  { $id: 'TrustAnchors', title: 'TrustAnchors' },
);

export const VerifyBody = Type.Object(
  { qr: Type.Optional(Type.String({ maxLength: 8000 })), bundle: Type.Optional(Type.Unknown()) },
  { additionalProperties: false, $id: 'VerifyBody', title: 'VerifyBody' },
);

export const VerificationResultSchema = Type.Object(
  {
    verdict: Type.Union([Type.Literal('VALID'), Type.Literal('INVALID'), Type.Literal('INDETERMINATE')]),
    checks: Type.Array(
      Type.Object({
        check: Type.String(),
        result: Type.String(),
        reason: Type.Optional(Type.String()),
        detail: Type.Optional(Type.String()),
        message: Type.Optional(Label),
      }),
    ),
    certificate: Type.Optional(Type.Unknown()),
  },
  { $id: 'VerificationResult', title: 'VerificationResult' },
);

export const StatusListEntrySchema = Type.Object({ id: Type.String(), revocation: Type.String(), suspension: Type.String() });

export const StatusListIndexSchema = Type.Object(
  { lists: Type.Array(StatusListEntrySchema) },
  { $id: 'StatusListIndex', title: 'StatusListIndex' },
);

export const StatusListParams = Type.Object({
  list: Type.String({ pattern: '^[0-9]{1,9}$' }),
  purpose: Type.Union([Type.Literal('revocation'), Type.Literal('suspension')]),
});
