import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { CodeParam, Nullable, withErrors } from '../../http/schemas.ts';
import type { DatasetRecordsService } from './dataset-records.ts';

const tags = ['sharing'];
const Params = Type.Object({ code: CodeParam });

/** The provider department keeps its internal dataset's records (never listed; every write on the ledger). */
export function datasetRecordsRoutes(deps: { records: DatasetRecordsService }): FastifyPluginAsyncTypebox {
  const { records } = deps;
  return async (app) => {
    app.get(
      '/sharing/datasets/:code/records/summary',
      {
        schema: {
          tags,
          summary: '本单位数据集的记录数 · how many records an internal dataset holds',
          params: Params,
          response: withErrors(
            {
              200: Type.Object({
                datasetCode: Type.String(),
                adapter: Type.Union([Type.Literal('internal'), Type.Literal('external'), Type.Literal('licences')]),
                records: Type.Integer(),
                lastUpdatedAt: Nullable(Type.String()),
              }),
            },
            [401, 404],
          ),
        },
      },
      async (request) => records.summary(requirePrincipal(request), request.params.code),
    );

    app.put(
      '/sharing/datasets/:code/records',
      {
        schema: {
          tags,
          summary: '写入或更新一人的记录 · write or replace one person’s record',
          description: '按身份证号写入；只记录摘要到存证账本。By resident ID number; the ledger gets digests only.',
          params: Params,
          body: Type.Object(
            {
              residentId: Type.String({ maxLength: 18 }),
              data: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), Type.String({ maxLength: 500 }), {
                maxProperties: 64,
              }),
            },
            { additionalProperties: false },
          ),
          response: withErrors(
            {
              200: Type.Object({
                replaced: Type.Boolean(),
                ledgerEntryId: Type.Integer({
                  description: "the write's ledger entry (pending until the sequencer numbers it, well under a second)",
                }),
              }),
            },
            [400, 401, 404],
          ),
        },
      },
      async (request) => records.putRecord(requirePrincipal(request), request.params.code, request.body),
    );
  };
}
