import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponseRef, withErrors } from '../../http/schemas.ts';
import { encodeBase64 } from '../../verify/tlog-bytes.ts';
import type { LedgerService } from './ledger.service.ts';
import {
  CheckpointJson,
  ConsistencyProof,
  ConsistencyQuery,
  CosignatureBody,
  CosignatureResult,
  EntryParams,
  InclusionProof,
  InclusionQuery,
  LedgerEntry,
  LedgerReceiptJson,
  ReceiptParams,
  SizeParams,
  TextBody,
  WitnessList,
} from './ledger.schemas.ts';
import { SHORT, TEXT } from './tiles.routes.ts';

/** JSON conveniences under /api: proofs, entries, checkpoints, witnesses and cosignatures. */
export function ledgerApiRoutes(deps: { ledger: LedgerService }): FastifyPluginAsyncTypebox {
  const { ledger } = deps;
  return async (app) => {
    app.get(
      '/ledger/proof/inclusion',
      {
        schema: {
          tags: ['ledger'],
          summary: '包含证明 · inclusion proof',
          security: [],
          querystring: InclusionQuery,
          response: withErrors({ 200: InclusionProof }, [400, 404]),
        },
      },
      async (request) => {
        const proof = await ledger.inclusionProof(request.query.index, request.query.size);
        const checkpoint = await ledger.checkpointAt(proof.size).catch(() => undefined);
        return {
          index: proof.index,
          size: proof.size,
          leafHash: encodeBase64(proof.leafHash),
          hashes: proof.hashes.map(encodeBase64),
          ...(checkpoint ? { checkpoint: checkpoint.note } : {}),
        };
      },
    );

    app.get(
      '/ledger/proof/consistency',
      {
        schema: {
          tags: ['ledger'],
          summary: '一致性证明 · consistency proof',
          security: [],
          querystring: ConsistencyQuery,
          response: withErrors({ 200: ConsistencyProof }, [400, 404]),
        },
      },
      async (request) => {
        const proof = await ledger.consistencyProof(request.query.from, request.query.to);
        return { from: proof.from, to: proof.to, hashes: proof.hashes.map(encodeBase64) };
      },
    );

    app.get(
      '/ledger/receipts/:entryId',
      {
        schema: {
          tags: ['ledger'],
          summary: "入账回执 · an entry's status and the log's signed promise of inclusion (pending until sequenced)",
          security: [],
          params: ReceiptParams,
          response: withErrors({ 200: LedgerReceiptJson }, [400, 404]),
        },
      },
      async (request, reply) => {
        const r = await ledger.receipt(request.params.entryId);
        // A pending entry changes within the merge delay; a sequenced one only gains `integrated`.
        void reply.header('cache-control', r.status === 'pending' || !r.integrated ? 'no-store' : SHORT);
        return {
          id: r.id,
          kind: r.kind,
          status: r.status,
          index: r.index,
          integrated: r.integrated,
          leafHash: encodeBase64(r.leafHash),
          queuedAt: r.queuedAt.toISOString(),
          promisedBy: r.promisedBy.toISOString(),
          receipt: r.receipt,
        };
      },
    );

    app.get(
      '/ledger/entries/:index',
      {
        schema: {
          tags: ['ledger'],
          summary: '账本条目 · a ledger entry',
          security: [],
          params: EntryParams,
          response: withErrors({ 200: LedgerEntry }, [400, 404]),
        },
      },
      async (request) => {
        const entry = await ledger.getEntry(request.params.index);
        return {
          ...entry,
          data: encodeBase64(entry.data),
          leafHash: encodeBase64(entry.leafHash),
          createdAt: entry.createdAt.toISOString(),
        };
      },
    );

    app.get(
      '/ledger/checkpoint',
      {
        schema: {
          tags: ['ledger'],
          summary: '最新检查点（JSON） · the latest checkpoint as JSON',
          security: [],
          response: withErrors({ 200: CheckpointJson }, [503]),
        },
      },
      async () => {
        const cp = await ledger.latestCheckpoint();
        return { ...cp, rootHash: encodeBase64(cp.rootHash) };
      },
    );

    app.get(
      '/ledger/checkpoints/:size',
      {
        schema: {
          tags: ['ledger'],
          summary: '指定规模的检查点 · the signed checkpoint of a tree size, with cosignatures',
          security: [],
          params: SizeParams,
          response: { 200: TextBody('C2SP checkpoint'), 400: ErrorResponseRef, 404: ErrorResponseRef },
        },
      },
      async (request, reply) => {
        const cp = await ledger.checkpointAt(request.params.size);
        return reply.header('cache-control', SHORT).type(TEXT).send(cp.note);
      },
    );

    app.get(
      '/ledger/witnesses',
      {
        schema: { tags: ['ledger'], summary: '登记的见证方 · registered witnesses', security: [], response: { 200: WitnessList } },
      },
      async () => (await ledger.listWitnesses()).map((w) => ({ name: w.name, vkey: w.vkey })),
    );

    app.post(
      '/ledger/cosignatures',
      {
        schema: {
          tags: ['ledger'],
          summary: '提交见证签名 · a witness submits a cosignature (C2SP tlog-cosignature)',
          description: 'Authenticated by the signature itself: only registered witnesses, only valid cosignatures.',
          security: [],
          body: CosignatureBody,
          response: withErrors({ 200: CosignatureResult, 201: CosignatureResult }, [400, 403, 404]),
        },
      },
      async (request, reply) => {
        const result = await ledger.addCosignature(request.body);
        return reply.status(result.stored ? 201 : 200).send(result);
      },
    );
  };
}
