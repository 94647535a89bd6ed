/**
 * The hospital side of the interface: builds an envelope, signs it with the institution's SM2 key
 * (RFC 9421, alg sm2-sm3, the msgid as Idempotency-Key), sends it, and accepts only an answer
 * signed by the platform's pinned interface key. The hospital process (hospital-process.ts), the
 * simulator, tests and benchmarks all call the platform through it; the transport is theirs.
 */
import http from 'node:http';
import https from 'node:https';
import { randomText } from '../../core/random.ts';
import { signRequest, sm2VerifyingKey, verifyResponse, type Sm2SigningKey, type Sm2VerifyingKey } from '../sharing/index.ts';
import type { Answer, Infno } from './envelope.ts';

export interface Transport {
  (request: {
    url: string;
    headers: Record<string, string>;
    body: string;
  }): Promise<{ status: number; headers: Record<string, string>; body: string }>;
}

export interface HospitalIdentity {
  code: string;
  /** The division of treatment (the institution's). */
  region: string;
  key: Sm2SigningKey;
}

/** A failure the platform answered (signed): its stable code and messages. */
export class HospitalCallError extends Error {
  constructor(
    readonly status: number,
    readonly answer: Answer,
  ) {
    super(`${answer.err_code ?? 'ERROR'}: ${answer.err_msg_en ?? answer.err_msg ?? ''}`);
    this.name = 'HospitalCallError';
  }
}

let msgSequence = 0;

/**
 * A msgid as the national interface makes them: the institution's code, the time to the second, a
 * sequence (4 digits, this process's), then 3 random bytes for other processes of the institution.
 * Random bytes alone repeated: at 200 messages a second, 24 bits collide about every 15 minutes.
 */
export function newMsgid(code: string, at = new Date()): string {
  const t = at.toISOString().replace(/\D/g, '').slice(0, 14);
  msgSequence = (msgSequence + 1) % 10_000;
  return `${code}${t}${String(msgSequence).padStart(4, '0')}${randomText(3, 'hex')}`;
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * node:http(s) as a transport, over kept-alive connections: a hospital's system sends one request
 * after another all day, and `fetch` costs several times the CPU per request.
 */
export const fetchTransport: Transport = ({ url, headers, body }) =>
  new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const payload = Buffer.from(body, 'utf8');
    const req = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { ...headers, 'content-length': String(payload.length) },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the platform did not answer within 60 s')));
    req.on('error', reject);
    req.end(payload);
  });

export function createHospitalClient(options: {
  baseUrl: string;
  hospital: HospitalIdentity;
  /** The platform's interface key (GET /api/insurance/hsa/v1/interface-key), pinned. */
  platformKey: { keyId: string; publicKeySpki: Uint8Array | string };
  transport?: Transport;
  clock?: () => Date;
}) {
  const transport = options.transport ?? fetchTransport;
  const url = `${options.baseUrl.replace(/\/$/, '')}/api/insurance/hsa/v1/transactions`;
  const platformKey: Sm2VerifyingKey = sm2VerifyingKey(
    typeof options.platformKey.publicKeySpki === 'string'
      ? Buffer.from(options.platformKey.publicKeySpki, 'base64')
      : options.platformKey.publicKeySpki,
  );
  const clock = options.clock ?? (() => new Date());

  return {
    /**
     * Sends one transaction; `msgid` given, it is a resend of that message (the platform answers
     * it as it did the first time). Resolves with the output or throws HospitalCallError.
     */
    async call(
      infno: Infno,
      input: Record<string, unknown>,
      opts: { msgid?: string; insuranceRegion: string; opter?: string },
    ): Promise<{ msgid: string; answer: Answer }> {
      const msgid = opts.msgid ?? newMsgid(options.hospital.code, clock());
      const body = JSON.stringify({
        infno,
        msgid,
        mdtrtarea_admvs: options.hospital.region,
        insuplc_admdvs: opts.insuranceRegion,
        fixmedins_code: options.hospital.code,
        inf_time: clock().toISOString(),
        ...(opts.opter ? { opter: opts.opter } : {}),
        input,
      });
      const signed = await signRequest(options.hospital.key, { url, body, idempotencyKey: msgid, now: clock() });
      const res = await transport(signed);
      await verifyResponse(signed, res, {
        windowSeconds: 300,
        keyFor: (id) => (id === options.platformKey.keyId ? platformKey : null),
        now: clock(),
      });
      const answer = JSON.parse(res.body) as Answer;
      if (answer.infcode !== 0) throw new HospitalCallError(res.status, answer);
      return { msgid, answer };
    },
  };
}

export type HospitalClient = ReturnType<typeof createHospitalClient>;
