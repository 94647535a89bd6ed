/**
 * The hospital system's local HTTP API, what the window (the cashier's desk) and the simulator
 * drive. It listens on the hospital's own network only (127.0.0.1 by default), and every call but
 * `GET /health` carries `Authorization: Bearer <token>`: the token is made on first start in the
 * state directory (`api-token`, readable by its owner only), where the window's software reads it.
 * Patients' encounters and settlements are behind it.
 *
 *   GET  /health                       code, key id, pending transactions
 *   POST /encounters                   {certNo, medType, begin, emergency?} → 1101 + 2001
 *   POST /encounters/:id/fees          {lines: [{code, quantity, priceFen, sn?}]} → 2301
 *   POST /encounters/:id/settle        {acctUsed?, list?} → 2303 + 2304
 *   POST /settlements/:id/cancel       → 2305
 *   POST /settlements/:id/reverse      → 2601 of the settlement's 2304
 *   POST /reconcile                    {day} → 3201 per place of insurance
 *   GET  /transactions/:msgid          the journal's state of a message: sent | answered
 *   GET  /stats                        round trips per transaction (p50, p99)
 *
 * A platform refusal is answered with its status and {error, message, messageEn}; a transaction
 * not answered within `answerTimeoutMs` with 504 and its msgid (it is still being sent).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { HospitalError, type FeeLineInput, type HospitalSystem } from './hospital-system.ts';
import { readBodyText } from '../../core/request-body.ts';

const MAX_BODY = 1024 * 1024;

/** The local API's token file in a hospital's state directory. */
export const API_TOKEN_FILE = 'api-token';

/** The local API's bearer token: read from the state directory, or made there (mode 0600) on first start. */
export function hospitalApiToken(stateDir: string): string {
  const file = path.join(stateDir, API_TOKEN_FILE);
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/** Whether the request carries the token (compared in constant time). */
function authorised(req: IncomingMessage, token: Buffer): boolean {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  return given.length === token.length && timingSafeEqual(given, token);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBodyText(req, MAX_BODY);
  if (text === null) throw new HospitalError(413, 'PAYLOAD_TOO_LARGE', '请求过大', 'the body is too large');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HospitalError(400, 'MALFORMED_JSON', '请求体不是 JSON 对象', 'the body is not a JSON object');
  return value as Record<string, unknown>;
}

const invalid = (detail: string) =>
  new HospitalError(400, 'VALIDATION_FAILED', `请求内容有误：${detail}`, `The request is invalid: ${detail}`);

function feeLines(body: Record<string, unknown>): FeeLineInput[] {
  const lines = body.lines;
  if (!Array.isArray(lines) || lines.length === 0) throw invalid('lines');
  return lines.map((raw: unknown, i) => {
    const l = (raw ?? {}) as Record<string, unknown>;
    if (typeof l.code !== 'string') throw invalid(`lines[${i}].code`);
    if (typeof l.quantity !== 'number' || !Number.isSafeInteger(l.quantity) || l.quantity <= 0) throw invalid(`lines[${i}].quantity`);
    if (typeof l.priceFen !== 'number' || !Number.isSafeInteger(l.priceFen) || l.priceFen < 0) throw invalid(`lines[${i}].priceFen`);
    if (l.sn !== undefined && typeof l.sn !== 'string') throw invalid(`lines[${i}].sn`);
    return { code: l.code, quantity: l.quantity, priceFen: l.priceFen, ...(typeof l.sn === 'string' ? { sn: l.sn } : {}) };
  });
}

export function createHospitalServer(system: HospitalSystem, options: { code: string; token: string; answerTimeoutMs?: number }): Server {
  const timeoutMs = options.answerTimeoutMs ?? 30_000;
  const token = Buffer.from(options.token);

  /** The answer, or 504 once the wait is over (the transaction is still being sent, same msgid). */
  async function answered<T>(work: Promise<T>): Promise<{ status: number; body: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ status: number; body: unknown }>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 504,
            body: {
              error: 'HOSPITAL_PENDING',
              message: '医保平台尚未应答，系统会以同一报文号继续发送',
              messageEn: 'the platform has not answered yet; the transaction is being sent again with the same msgid',
              pending: system.pending(),
            },
          }),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([work.then((body) => ({ status: 200, body })), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function route(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'http://hospital.invalid');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/health')
      return { status: 200, body: { code: options.code, keyId: system.keyId, pending: system.pending().length } };
    if (!authorised(req, token))
      return {
        status: 401,
        body: {
          error: 'UNAUTHENTICATED',
          message: '缺少或错误的接口令牌（见状态目录中的 api-token）',
          messageEn: 'missing or wrong API token (see api-token in the state directory)',
        },
      };
    if (method === 'GET' && url.pathname === '/stats') return { status: 200, body: system.stats() };
    if (method === 'GET' && parts[0] === 'transactions' && parts.length === 2) {
      const state = system.journalState(parts[1]!);
      return state ? { status: 200, body: { msgid: parts[1], state } } : { status: 404, body: { error: 'NOT_FOUND' } };
    }
    if (method === 'GET' && url.pathname === '/settlements') return { status: 200, body: system.settlements() };
    if (method === 'GET' && url.pathname === '/encounters') return { status: 200, body: system.encounters() };
    if (method !== 'POST') return { status: 404, body: { error: 'NOT_FOUND', message: '没有该接口', messageEn: 'no such endpoint' } };
    const body = await readJson(req);
    if (url.pathname === '/encounters') {
      const { certNo, medType, begin, emergency } = body;
      if (typeof certNo !== 'string') throw invalid('certNo');
      if (typeof medType !== 'string' || !['11', '14', '21', '52'].includes(medType)) throw invalid('medType (11, 14, 21, 52)');
      if (typeof begin !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(begin)) throw invalid('begin (YYYY-MM-DD)');
      return answered(system.openEncounter({ certNo, medType, begin, emergency: emergency === true }));
    }
    if (parts[0] === 'encounters' && parts.length === 3 && parts[2] === 'fees') return answered(system.addFees(parts[1]!, feeLines(body)));
    if (parts[0] === 'encounters' && parts.length === 3 && parts[2] === 'settle') {
      const list = body.list;
      if (list !== undefined && (typeof list !== 'object' || list === null || Array.isArray(list))) throw invalid('list');
      return answered(
        system.settle(parts[1]!, {
          ...(body.acctUsed === false ? { acctUsed: false } : {}),
          ...(list ? { list: list as Record<string, string> } : {}),
        }),
      );
    }
    if (parts[0] === 'settlements' && parts.length === 3 && parts[2] === 'cancel') return answered(system.cancel(parts[1]!));
    if (parts[0] === 'settlements' && parts.length === 3 && parts[2] === 'reverse') return answered(system.reverse(parts[1]!));
    if (url.pathname === '/reconcile') {
      if (typeof body.day !== 'string') throw invalid('day (YYYY-MM-DD)');
      return answered(system.reconcile(body.day));
    }
    return { status: 404, body: { error: 'NOT_FOUND', message: '没有该接口', messageEn: 'no such endpoint' } };
  }

  return createServer((req, res) => {
    route(req).then(
      ({ status, body }) => send(res, status, body),
      (error: unknown) => {
        if (error instanceof HospitalError)
          return send(res, error.status, {
            error: error.code,
            message: error.messageZh,
            messageEn: error.messageEn,
            ...(error.msgid ? { msgid: error.msgid } : {}),
          });
        send(res, 500, { error: 'INTERNAL', message: '医院系统内部错误', messageEn: 'internal error in the hospital system' });
      },
    );
  });
}
