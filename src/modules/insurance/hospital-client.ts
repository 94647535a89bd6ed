/**
 * The hospital side of the interface: builds an envelope, signs it with the institution's SM2 key
 * (RFC 9421, alg sm2-sm3, the msgid as Idempotency-Key), sends it, and accepts only an answer
 * signed by the platform's pinned interface key. The hospital process (hospital-process.ts), the
 * simulator, tests and benchmarks all call the platform through it; the transport is theirs.
 */
import { randomBytes } from 'node:crypto';
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

/** A msgid as the national interface makes them: the institution's code, the time to the second, a sequence. */
export function newMsgid(code: string, at = new Date()): string {
  const t = at.toISOString().replace(/\D/g, '').slice(0, 14);
  return `${code}${t}${randomBytes(3).toString('hex')}`;
}

/** `fetch` as a transport. */
export const fetchTransport: Transport = async ({ url, headers, body }) => {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: await res.text() };
};

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
