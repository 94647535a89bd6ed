import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { ErrorResponseRef, withErrors } from '../../http/schemas.ts';
import { encodeBase64 } from '../../verify/tlog-bytes.ts';
import { TILE_WIDTH, parseTilePath } from '../../verify/tlog-tiles.ts';
import type { LedgerService } from './ledger.service.ts';
import {
  BinaryBody,
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

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Partial tiles and checkpoints change as the log grows: clients should come back soon. */
const SHORT = 'public, max-age=5';
const TEXT = 'text/plain; charset=utf-8';

/** Binary bodies go out as they are; the typed reply only knows the schema's string. */
function sendBytes(reply: FastifyReply, body: Uint8Array): FastifyReply {
  return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

/**
 * The C2SP tlog-tiles API, to register at the root (next to /api): `/ledger/checkpoint`,
 * `/ledger/tile/<L>/<N>[.p/<W>]`, `/ledger/tile/entries/<N>[.p/<W>]`, and `/ledger/vkey`.
 */
export function ledgerTileRoutes(deps: { ledger: LedgerService }): FastifyPluginAsyncTypebox {
  const { ledger } = deps;
  return async (app) => {
    app.get(
      '/ledger/checkpoint',
      {
        schema: {
          tags: ['ledger'],
          summary: '最新签名检查点 · the latest signed checkpoint (C2SP signed note, with cosignatures)',
          security: [],
          response: { 200: TextBody('C2SP checkpoint'), 503: ErrorResponseRef },
        },
      },
      async (_request, reply) => {
        const cp = await ledger.latestCheckpoint();
        return reply.header('cache-control', SHORT).type(TEXT).send(cp.note);
      },
    );

    app.get(
      '/ledger/vkey',
      {
        schema: {
          tags: ['ledger'],
          summary: '账本公钥 · the log key (C2SP vkey)',
          security: [],
          response: { 200: TextBody('<name>+<key hash>+<base64 key>') },
        },
      },
      async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=3600')
          .type(TEXT)
          .send(`${await ledger.vkey()}\n`),
    );

    app.get(
      '/ledger/tile/*',
      {
        schema: {
          tags: ['ledger'],
          summary: '默克尔树瓦片与条目包 · Merkle tree tiles and entry bundles (C2SP tlog-tiles)',
          description: '`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, N in groups of three digits (x001/x234/067).',
          security: [],
          params: Type.Object({ '*': Type.String({ maxLength: 200, pattern: '^[0-9a-z./]*$' }) }),
          response: { 200: BinaryBody('tile hashes (32 bytes each) or an entry bundle'), 404: ErrorResponseRef },
        },
      },
      async (request, reply) => {
        const ref = parseTilePath(request.params['*']);
        if (!ref) throw new AppError('NOT_FOUND', { what: 'tile' });
        const body =
          ref.kind === 'entries'
            ? await ledger.readEntryBundle(ref.index, ref.width)
            : await ledger.readTile(ref.level, ref.index, ref.width);
        if (!body) throw new AppError('NOT_FOUND', { what: 'tile' });
        void reply.header('cache-control', ref.width === TILE_WIDTH ? IMMUTABLE : SHORT).type('application/octet-stream');
        return sendBytes(reply, body);
      },
    );
  };
}

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
