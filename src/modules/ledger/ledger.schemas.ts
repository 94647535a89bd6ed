import { Type } from '@sinclair/typebox';

const MAX_INDEX = Number.MAX_SAFE_INTEGER;
export const Base64Hash = Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: 'SHA-256, base64' });

export const InclusionQuery = Type.Object(
  {
    index: Type.Integer({ minimum: 0, maximum: MAX_INDEX, description: 'leaf index' }),
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INDEX, description: 'tree size (default: the latest checkpoint)' })),
  },
  { additionalProperties: false },
);

export const InclusionProof = Type.Object(
  {
    index: Type.Integer(),
    size: Type.Integer(),
    leafHash: Base64Hash,
    hashes: Type.Array(Base64Hash, { description: 'RFC 9162 inclusion path, deepest first' }),
    checkpoint: Type.Optional(Type.String({ description: 'the signed checkpoint of this size, with cosignatures' })),
  },
  { $id: 'InclusionProof', title: 'InclusionProof' },
);

export const ConsistencyQuery = Type.Object(
  {
    from: Type.Integer({ minimum: 0, maximum: MAX_INDEX }),
    to: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INDEX, description: 'default: the latest checkpoint' })),
  },
  { additionalProperties: false },
);

export const ConsistencyProof = Type.Object(
  {
    from: Type.Integer(),
    to: Type.Integer(),
    hashes: Type.Array(Base64Hash, { description: 'RFC 9162 consistency proof' }),
  },
  { $id: 'ConsistencyProof', title: 'ConsistencyProof' },
);

export const EntryParams = Type.Object({ index: Type.Integer({ minimum: 0, maximum: MAX_INDEX }) });
export const SizeParams = Type.Object({ size: Type.Integer({ minimum: 0, maximum: MAX_INDEX }) });

export const ReceiptParams = Type.Object({
  entryId: Type.Integer({ minimum: 1, maximum: MAX_INDEX, description: 'the entry id a write returned' }),
});

export const LedgerReceiptJson = Type.Object(
  {
    id: Type.Integer({ description: 'the entry id (kept before and after sequencing)' }),
    kind: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('sequenced')], {
      description: 'pending: queued, not yet given an index; sequenced: at `index`',
    }),
    index: Type.Union([Type.Integer(), Type.Null()]),
    integrated: Type.Boolean({ description: 'covered by the latest signed checkpoint: an inclusion proof exists' }),
    leafHash: Base64Hash,
    queuedAt: Type.String({ format: 'date-time' }),
    promisedBy: Type.String({ format: 'date-time', description: 'the log promises an index by then (the maximum merge delay)' }),
    receipt: Type.String({ description: "the log's signed promise: a C2SP signed note by the log key (see /ledger/vkey)" }),
  },
  { $id: 'LedgerReceipt', title: 'LedgerReceipt' },
);

export const LedgerEntry = Type.Object(
  {
    index: Type.Integer(),
    kind: Type.String(),
    data: Type.String({ description: 'the exact leaf bytes, base64' }),
    leafHash: Base64Hash,
    createdAt: Type.String({ format: 'date-time' }),
    integrated: Type.Boolean({ description: 'covered by the latest signed checkpoint' }),
  },
  { $id: 'LedgerEntry', title: 'LedgerEntry' },
);

export const CheckpointJson = Type.Object(
  {
    origin: Type.String(),
    size: Type.Integer(),
    rootHash: Base64Hash,
    note: Type.String({ description: 'C2SP signed note with cosignatures' }),
    witnesses: Type.Array(Type.String()),
  },
  { $id: 'Checkpoint', title: 'Checkpoint' },
);

export const CosignatureBody = Type.Object(
  {
    size: Type.Integer({ minimum: 0, maximum: MAX_INDEX, description: 'the tree size of the cosigned checkpoint' }),
    signature: Type.String({ maxLength: 1000, description: 'the cosignature/v1 signature line, "— <name> <base64>"' }),
  },
  { additionalProperties: false, $id: 'CosignatureBody', title: 'CosignatureBody' },
);

export const CosignatureResult = Type.Object(
  {
    size: Type.Integer(),
    witness: Type.String(),
    cosignedAt: Type.Integer({ description: 'Unix seconds, as the witness states' }),
    stored: Type.Boolean({ description: 'false when the log already had this or a newer cosignature' }),
  },
  { $id: 'CosignatureResult', title: 'CosignatureResult' },
);

export const WitnessList = Type.Array(Type.Object({ name: Type.String(), vkey: Type.String() }));

export const TextBody = (description: string) => ({
  description,
  content: { 'text/plain': { schema: Type.String() } },
});

export const BinaryBody = (description: string) => ({
  description,
  content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
});
