import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponseRef } from '../../http/schemas.ts';
import { TextBody } from './ledger.schemas.ts';
import { TLOG_SIZE_CONTENT_TYPE } from './witness-protocol.ts';
import type { AddCheckpointOutcome, WitnessService } from './witness-service.ts';

const TEXT = 'text/plain; charset=utf-8';
/** A request body: an old size line, ≤ 63 proof lines and a checkpoint with its signatures (≤ 1 MiB, the note limit). */
const BODY_LIMIT = 1 << 20;

const STATUS: Record<AddCheckpointOutcome['status'], 200 | 400 | 403 | 404 | 409 | 422> = {
  COSIGNED: 200,
  CONFLICT: 409,
  MALFORMED: 400,
  UNKNOWN_LOG: 404,
  FORBIDDEN: 403,
  INCONSISTENT: 422,
};

/**
 * The C2SP tlog-witness HTTP interface, to register at the root: submission prefix and
 * monitoring prefix are both `<base>/witness`, so `POST /witness/add-checkpoint` and
 * `GET /witness/<sha256 hex of origin>/checkpoint`; `GET /witness/vkey` names the key.
 * No authentication beyond the log's signature on the checkpoint, as the spec says.
 */
export function witnessRoutes(deps: { witness: WitnessService }): FastifyPluginAsyncTypebox {
  const { witness } = deps;
  return async (app) => {
    // The API refuses non-JSON bodies; this plugin (and only it) reads the protocol's plain text.
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));

    app.post(
      '/witness/add-checkpoint',
      {
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['witness'],
          summary: '提交检查点请求见证 · add-checkpoint (C2SP tlog-witness): old size, consistency proof, signed checkpoint',
          security: [],
          consumes: ['text/plain'],
          body: Type.String({ description: 'old <size>\\n, proof lines, empty line, C2SP checkpoint' }),
          response: {
            200: TextBody('cosignature/v1 signature lines'),
            400: TextBody('malformed request'),
            403: TextBody('no valid signature from the log key'),
            404: TextBody('unknown log origin'),
            409: { description: 'the size this witness last cosigned', content: { [TLOG_SIZE_CONTENT_TYPE]: { schema: Type.String() } } },
            422: TextBody('the checkpoint is not consistent with the one this witness cosigned'),
          },
        },
      },
      async (request, reply) => {
        const outcome = await witness.addCheckpoint(request.body);
        reply.code(STATUS[outcome.status]);
        switch (outcome.status) {
          case 'COSIGNED':
            return reply.type(TEXT).send(outcome.signatures);
          case 'CONFLICT':
            return reply.type(TLOG_SIZE_CONTENT_TYPE).send(`${outcome.size}\n`);
          case 'MALFORMED':
          case 'UNKNOWN_LOG':
          case 'FORBIDDEN':
          case 'INCONSISTENT':
            return reply.type(TEXT).send(`${outcome.detail}\n`);
        }
      },
    );

    app.get(
      '/witness/vkey',
      {
        schema: {
          tags: ['witness'],
          summary: '见证方公钥 · the witness key (cosignature/v1 vkey)',
          security: [],
          response: { 200: TextBody('<name>+<key hash>+<base64 key>') },
        },
      },
      async (_request, reply) => reply.type(TEXT).send(`${await witness.vkey()}\n`),
    );

    app.get(
      '/witness/:originHash/checkpoint',
      {
        schema: {
          tags: ['witness'],
          summary: '本见证方最近联署的检查点 · the latest checkpoint this witness cosigned for a log',
          security: [],
          params: Type.Object({ originHash: Type.String({ pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64 }) }),
          response: { 200: TextBody('C2SP checkpoint with the log signature and the cosignature'), 404: ErrorResponseRef },
        },
      },
      async (request, reply) => {
        const note = await witness.checkpointFor(request.params.originHash);
        if (note === null) return reply.code(404).type(TEXT).send('this witness has cosigned nothing for that log\n');
        return reply.header('cache-control', 'public, max-age=5').type(TEXT).send(note);
      },
    );
  };
}

const Finding = Type.Object(
  {
    id: Type.Integer(),
    origin: Type.String(),
    kind: Type.Union([Type.Literal('FORK'), Type.Literal('INCONSISTENT')], {
      description: 'FORK: two roots for one size; INCONSISTENT: a larger tree not proved to extend the smaller',
    }),
    heldNote: Type.String({ description: 'the signed checkpoint this witness held' }),
    otherNote: Type.String({ description: 'the signed checkpoint that contradicts it' }),
    source: Type.String({ description: '"add-checkpoint" or "gossip <peer url>"' }),
    proof: Type.Union([Type.String(), Type.Null()], { description: 'INCONSISTENT: the proof that failed, base64 lines' }),
    detail: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'WitnessFinding', title: 'WitnessFinding' },
);

/** The split-view findings, public like the checkpoints they hold: `GET /api/witness/findings`. */
export function witnessApiRoutes(deps: { witness: WitnessService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/witness/findings',
      {
        schema: {
          tags: ['witness'],
          summary: '分叉证据 · split-view findings: two signed checkpoints of one log that cannot both be true',
          security: [],
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
          response: { 200: Type.Array(Finding) },
        },
      },
      async (request) =>
        (await deps.witness.findings(request.query.limit)).map((f) => ({
          id: f.id,
          origin: f.origin,
          kind: f.kind as 'FORK' | 'INCONSISTENT',
          heldNote: f.heldNote,
          otherNote: f.otherNote,
          source: f.source,
          proof: f.proof,
          detail: f.detail,
          createdAt: f.createdAt.toISOString(),
        })),
    );
  };
}
