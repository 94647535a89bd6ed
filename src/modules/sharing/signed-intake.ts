/**
 * How the paying bank's system (bank-server.ts) and an external department's (external-department.ts)
 * take the platform's signed requests (RFC 9421): the same checks in the same order, each refusal
 * with its own code. The body is read (at most 64 KiB); the fault injection answers (a delay, the
 * bank's `down`, the first N refused as starting up); then a trusted key, a verifying signature and
 * Content-Digest, `created` inside the window, a nonce not seen within it (else REPLAYED_NONCE), a
 * JSON body. What the request asks, and the signed answer, are each server's own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verifyingKeyIdOf, verifyingKeyOf, type SigningKey, type Sm2SigningKey, type VerifyingKey } from './http-signature-keys.ts';
import { verifyRequest, type SignatureParams } from './http-signature-verify.ts';
import { SignatureError } from './http-signatures.ts';
import { readBodyText } from '../../core/request-body.ts';

/** What the bank's and a department's server are both started with. */
export interface SignedServerOptions {
  name: string;
  /** The system's own key: its answers are signed with it (Ed25519, or SM2 with `alg` "sm2-sm3"). */
  key: SigningKey | Sm2SigningKey;
  /** The platform public keys the system accepts, by key id (Ed25519 or SM2; trustedKeys). */
  trusted: Map<string, VerifyingKey>;
  /** Accepted signature age; nonces are kept this long. Default 300. */
  windowSeconds?: number;
  /**
   * The scheme and authority the platform addresses the system by (behind a TLS proxy, e.g.
   * `https://health.example`): the signed @target-uri is rebuilt from it. Default: http and the Host header.
   */
  publicUrl?: string;
  /** Fault injection for tests and demos: every answer waits this long. */
  delayMs?: number;
  /** Fault injection: the first N requests get 503, as from a system that is starting up. */
  failFirst?: number;
  log?: (line: string) => void;
  clock?: () => Date;
}

interface SignedRequest {
  /** The verified signature's parameters: the key id that signed, the nonce, `created`. */
  params: SignatureParams & { nonce: string };
  body: string;
  /** The body parsed, an object not yet checked: what it must hold is the server's to say. */
  json: Record<string, unknown>;
  headers: Record<string, string>;
  /** The @target-uri the platform signed; the answer's signature covers the request's. */
  targetUri: string;
}

export interface SignedIntake {
  /** The POST's signed request, or null once it has been refused (the answer sent, the refusal counted). */
  accept: (req: IncomingMessage, res: ServerResponse) => Promise<SignedRequest | null>;
  /** Answers `{ error, message }` with the status, and counts the refusal by its code. */
  refuse: (res: ServerResponse, status: number, error: string, message: string) => void;
}

const MAX_BODY = 64 * 1024;

/** The trusted keys from PEM public keys, Ed25519 or SM2; each key's id is derived from the key itself. */
export function trustedKeys(pems: readonly string[]): Map<string, VerifyingKey> {
  return new Map(
    pems.map((pem) => {
      const key = verifyingKeyOf(pem);
      return [verifyingKeyIdOf(key), key] as const;
    }),
  );
}

export function createSignedIntake(
  options: SignedServerOptions,
  intake: {
    /** How a 503 names the system: "the bank system". */
    system: string;
    /** The server's refusals by code (its stats' `refused`). */
    refused: Record<string, number>;
    /** Fault injection: while true every request gets 503 DOWN, checked before the start-up failures. */
    down?: () => boolean;
  },
): SignedIntake {
  const clock = options.clock ?? (() => new Date());
  const windowSeconds = options.windowSeconds ?? 300;
  /** Nonces seen, until their window closes. */
  const nonces = new Map<string, number>();
  let failuresLeft = options.failFirst ?? 0;

  function rememberNonce(keyId: string, nonce: string, until: number): boolean {
    const now = clock().getTime();
    if (nonces.size > 10_000) for (const [k, t] of nonces) if (t < now) nonces.delete(k);
    const k = `${keyId} ${nonce}`;
    const seen = nonces.get(k);
    if (seen !== undefined && seen >= now) return false;
    nonces.set(k, until);
    return true;
  }

  function refuse(res: ServerResponse, status: number, error: string, message: string): void {
    intake.refused[error] = (intake.refused[error] ?? 0) + 1;
    plain(res, status, { error, message });
  }

  async function accept(req: IncomingMessage, res: ServerResponse): Promise<SignedRequest | null> {
    const refusal = (status: number, error: string, message: string): null => {
      refuse(res, status, error, message);
      return null;
    };
    const body = await readBodyText(req, MAX_BODY);
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (intake.down?.()) return refusal(503, 'DOWN', `${intake.system} is down; try again later`);
    if (failuresLeft > 0) {
      failuresLeft--;
      return refusal(503, 'STARTING_UP', `${intake.system} is starting up; try again`);
    }
    if (body === null) return refusal(413, 'PAYLOAD_TOO_LARGE', 'the body is too large');
    const headers = flatHeaders(req);
    // @target-uri as the platform addressed it: the Host it sent and the path.
    const targetUri = `${options.publicUrl?.replace(/\/+$/, '') ?? `http://${headers.host ?? 'localhost'}`}${req.url ?? '/'}`;
    let params;
    try {
      params = await verifyRequest(
        { method: 'POST', url: targetUri, headers, body },
        { keyFor: (id) => options.trusted.get(id) ?? null, windowSeconds, now: clock() },
      );
    } catch (error) {
      if (error instanceof SignatureError) return refusal(401, error.reason, error.message);
      throw error;
    }
    if (!rememberNonce(params.keyid, params.nonce, (params.created + windowSeconds) * 1000))
      return refusal(401, 'REPLAYED_NONCE', 'this request was seen before (nonce reused): replay refused');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return refusal(400, 'MALFORMED_JSON', 'the body is not JSON');
    }
    // Both servers read fields of an object; `null`, a number or a list is refused like bad JSON.
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      return refusal(400, 'MALFORMED_JSON', 'the body is not a JSON object');
    return { params, body, json: json as Record<string, unknown>, headers, targetUri };
  }

  return { accept, refuse };
}

/** The server around a signed system's handler: a failure is logged and answered 500 INTERNAL. */
export function createSignedServer(
  options: SignedServerOptions,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Server {
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(JSON.stringify({ at: clock().toISOString(), error: String(error) }));
      if (!res.headersSent) plain(res, 500, { error: 'INTERNAL', message: 'internal error' });
    });
  });
  // Longer than a client's idle keep-alive (undici: 4 s), so the server is not the side that closes a reused socket.
  server.keepAliveTimeout = 30_000;
  return server;
}

export function plain(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
