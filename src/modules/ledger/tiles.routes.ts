import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { ErrorResponseRef } from '../../http/schemas.ts';
import { TILE_WIDTH, parseTilePath } from '../../verify/tlog-tiles.ts';
import type { LedgerService } from './ledger.service.ts';
import { BinaryBody, TextBody } from './ledger.schemas.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Partial tiles and checkpoints change as the log grows: clients should come back soon. */
export const SHORT = 'public, max-age=5';
export const TEXT = 'text/plain; charset=utf-8';

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
