import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../../http/auth.ts';
import { IsoDate, Uuid, withErrors } from '../../http/schemas.ts';
import type { InsuranceService } from './insurance.service.ts';
import {
  EncounterParams,
  FeeLineBody,
  Fen,
  InstitutionParams,
  MedType,
  ResidentIdField,
  SettlementParams,
  Where,
  WindowCoverage,
  WindowEncounter,
  WindowEncounterDetail,
  WindowHospital,
  WindowPresettlement,
  WindowSettlement,
  WindowStatement,
} from './window.schemas.ts';

const tags = ['insurance'];
/** A clerk's click: a retry with the same key gets the first answer and changes nothing more. */
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,128}$' })) });

/**
 * 医保窗口 (医医合作, 一窗办理): a hospital's insurance window clerk acts for the patient at the
 * window of their own hospital (window.ts checks the hospital_window role at the hospital's org).
 */
export function insuranceWindowRoutes(deps: { insurance: InsuranceService }): FastifyPluginAsyncTypebox {
  const window = deps.insurance.window;
  return async (app) => {
    app.get(
      '/insurance/window/hospitals',
      {
        schema: {
          tags,
          summary: '医保窗口 · the hospitals whose insurance window I serve at',
          response: withErrors({ 200: Type.Array(WindowHospital) }, [401, 403]),
        },
      },
      async (request) => window.hospitals(requirePrincipal(request)),
    );

    app.post(
      '/insurance/window/:code/coverage',
      {
        schema: {
          tags,
          summary: '参保信息查询 · a patient’s coverage by the ID number they present (logged)',
          params: InstitutionParams,
          body: Type.Object({ residentId: ResidentIdField }),
          response: withErrors({ 200: WindowCoverage }, [400, 401, 403, 404]),
        },
      },
      async (request) => window.coverage(requirePrincipal(request), request.params.code, request.body.residentId),
    );

    app.post(
      '/insurance/window/:code/filings',
      {
        schema: {
          tags,
          summary: '异地就医备案（窗口代办）· file treatment away from home for the patient; decided by the instant rule',
          params: InstitutionParams,
          headers: IdempotencyHeaders,
          body: Type.Object({
            residentId: ResidentIdField,
            kind: Type.Union([Type.Literal('long_term_residence'), Type.Literal('temporary'), Type.Literal('emergency')]),
            destination: Type.Optional(Type.String({ pattern: '^\\d{6}$' })),
            startDate: IsoDate,
            endDate: Type.Optional(IsoDate),
            phone: Type.Optional(Type.String({ pattern: '^1\\d{10}$' })),
          }),
          response: withErrors(
            { 200: Type.Object({ caseId: Uuid, caseNo: Type.String(), state: Type.String() }) },
            [400, 401, 403, 404, 409],
          ),
        },
      },
      async (request) => window.file(requirePrincipal(request), request.params.code, request.body, request.headers['idempotency-key']),
    );

    app.post(
      '/insurance/window/:code/encounters',
      {
        schema: {
          tags,
          summary: '就诊登记 (2001) · open an encounter for the patient presenting this ID number',
          params: InstitutionParams,
          headers: IdempotencyHeaders,
          body: Type.Object({
            residentId: ResidentIdField,
            medType: MedType,
            beginDate: IsoDate,
            emergency: Type.Optional(Type.Boolean()),
          }),
          response: withErrors(
            { 200: Type.Object({ mdtrtId: Type.String(), where: Where, filed: Type.Boolean() }) },
            [400, 401, 403, 404, 409],
          ),
        },
      },
      async (request) => window.open(requirePrincipal(request), request.params.code, request.body, request.headers['idempotency-key']),
    );

    app.get(
      '/insurance/window/:code/encounters',
      {
        schema: {
          tags,
          summary: '本院就诊 · this hospital’s encounters, open ones by default, newest first',
          params: InstitutionParams,
          querystring: Type.Object({
            status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('settled')])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          }),
          response: withErrors({ 200: Type.Array(WindowEncounter) }, [400, 401, 403, 404]),
        },
      },
      async (request) => window.encounters(requirePrincipal(request), request.params.code, request.query),
    );

    app.get(
      '/insurance/window/:code/encounters/:mdtrtId',
      {
        schema: {
          tags,
          summary: '就诊详情 · one encounter of this hospital with its fee lines',
          params: EncounterParams,
          response: withErrors({ 200: WindowEncounterDetail }, [400, 401, 403, 404]),
        },
      },
      async (request) => window.encounter(requirePrincipal(request), request.params.code, request.params.mdtrtId),
    );

    app.post(
      '/insurance/window/:code/encounters/:mdtrtId/fees',
      {
        schema: {
          tags,
          summary: '费用明细上传 (2301) · upload fee lines',
          params: EncounterParams,
          headers: IdempotencyHeaders,
          body: Type.Object({ lines: Type.Array(FeeLineBody, { minItems: 1, maxItems: 2000 }) }),
          response: withErrors({ 200: Type.Object({ uploaded: Type.Integer() }) }, [400, 401, 403, 404, 409]),
        },
      },
      async (request) =>
        window.uploadFees(
          requirePrincipal(request),
          request.params.code,
          request.params.mdtrtId,
          request.body.lines,
          request.headers['idempotency-key'],
        ),
    );

    app.post(
      '/insurance/window/:code/encounters/:mdtrtId/presettle',
      {
        schema: {
          tags,
          summary: '预结算 (2303) · the parts and each line’s explanation, nothing settled yet',
          params: EncounterParams,
          body: Type.Object({ useAccount: Type.Optional(Type.Boolean()), residentId: Type.Optional(ResidentIdField) }),
          response: withErrors({ 200: WindowPresettlement }, [400, 401, 403, 404, 409, 502, 503]),
        },
      },
      async (request) => window.presettle(requirePrincipal(request), request.params.code, request.params.mdtrtId, request.body),
    );

    app.post(
      '/insurance/window/:code/encounters/:mdtrtId/settle',
      {
        schema: {
          tags,
          summary: '结算 (2304) · settle what was pre-settled (the total must match)',
          params: EncounterParams,
          headers: IdempotencyHeaders,
          body: Type.Object({
            medfeeSumamt: Fen,
            useAccount: Type.Optional(Type.Boolean()),
            diagCode: Type.Optional(Type.String({ maxLength: 20 })),
            diagName: Type.Optional(Type.String({ maxLength: 100 })),
            deptName: Type.Optional(Type.String({ maxLength: 100 })),
            residentId: Type.Optional(ResidentIdField),
          }),
          response: withErrors({ 200: WindowSettlement }, [400, 401, 403, 404, 409, 502, 503]),
        },
      },
      async (request) =>
        window.settle(
          requirePrincipal(request),
          request.params.code,
          request.params.mdtrtId,
          request.body,
          request.headers['idempotency-key'],
        ),
    );

    app.post(
      '/insurance/window/:code/settlements/:setlId/cancel',
      {
        schema: {
          tags,
          summary: '结算撤销 (2305) · take a settlement back; the encounter opens again',
          params: SettlementParams,
          headers: IdempotencyHeaders,
          body: Type.Object({ residentId: Type.Optional(ResidentIdField) }),
          response: withErrors(
            { 200: Type.Object({ setlId: Type.String(), mdtrtId: Type.String(), status: Type.String() }) },
            [400, 401, 403, 404, 409, 502, 503],
          ),
        },
        // The body is new (the ID card for a cross-province settlement): a POST without one is an empty one.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request) =>
        window.cancel(
          requirePrincipal(request),
          request.params.code,
          request.params.setlId,
          request.headers['idempotency-key'],
          request.body,
        ),
    );

    app.get(
      '/insurance/window/:code/settlements/:setlId',
      {
        schema: {
          tags,
          summary: '结算单 · a settlement of this hospital for the printed statement, each line with why (logged)',
          params: SettlementParams,
          response: withErrors({ 200: WindowStatement }, [400, 401, 403, 404]),
        },
      },
      async (request) => window.statement(requirePrincipal(request), request.params.code, request.params.setlId),
    );
  };
}
