import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { SmsGatewayConfig } from '../../core/config.ts';
import type { CodeSender } from './code-senders.ts';
import { maskPhone } from './validation.ts';

/**
 * A generic HTTP SMS gateway. Each message is one JSON POST to `url`:
 *
 *   { "messageId", "phone", "signName", "template", "params": { … } }
 *
 * (kiosk codes: `code` and `minutes`; inbox notices: `title`)
 *
 * authenticated with the platform's access key (HMAC-SHA256, the scheme most Chinese SMS gateways
 * use in some form):
 *
 *   X-Yiban-Key-Id:    the key id
 *   X-Yiban-Timestamp: Unix seconds
 *   X-Yiban-Nonce:     32 hex characters, new on every attempt
 *   X-Yiban-Signature: base64 HMAC-SHA256(secret, "POST\n" + path?query + "\n" + timestamp + "\n" + nonce + "\n" + hex SHA-256(body))
 *   Idempotency-Key:   the messageId, the same on every attempt, so a gateway can drop a repeat
 *
 * A 2xx answer is success. A timeout, a network error, 408, 429 or 5xx is tried again (up to
 * `attempts`, with growing pauses); any other answer is final. Neither the code nor the full
 * phone number is ever logged.
 */
export interface SmsGatewayDeps {
  fetch?: typeof fetch;
  /** Pause between attempts; tests shorten it. */
  backoffMs?: (attempt: number) => number;
  log?: (line: string) => void;
}

class SmsDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SmsDeliveryError';
  }
}

function signSmsRequest(secret: string, input: { path: string; timestamp: string; nonce: string; body: string }): string {
  const bodyHash = createHash('sha256').update(input.body, 'utf8').digest('hex');
  const canonical = ['POST', input.path, input.timestamp, input.nonce, bodyHash].join('\n');
  return createHmac('sha256', secret).update(canonical, 'utf8').digest('base64');
}

const RETRYABLE_STATUS = new Set([408, 429]);

/** One text message through the gateway: a template registered with it and the template's parameters. */
export interface GatewayMessage {
  /** The Idempotency-Key: the same on every attempt (and on a later retry of the same message), so a gateway drops a repeat. */
  messageId: string;
  phone: string;
  template: string;
  params: Record<string, string>;
}

/** The signed POST of one message, tried again on a retryable failure; kiosk codes and inbox notices go through it. */
export function createSmsGateway(config: SmsGatewayConfig, deps: SmsGatewayDeps = {}): { send(message: GatewayMessage): Promise<void> } {
  const doFetch = deps.fetch ?? fetch;
  const backoffMs = deps.backoffMs ?? ((attempt: number) => Math.min(4000, 250 * 2 ** (attempt - 1)));
  const url = new URL(config.url);
  const path = url.pathname + url.search;

  async function attemptOnce(body: string, messageId: string): Promise<void> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-yiban-key-id': config.keyId,
          'x-yiban-timestamp': timestamp,
          'x-yiban-nonce': nonce,
          'x-yiban-signature': signSmsRequest(config.secret, { path, timestamp, nonce, body }),
          'idempotency-key': messageId,
        },
        body,
        signal: AbortSignal.timeout(config.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const name = (error as { name?: string }).name;
      throw new SmsDeliveryError(
        name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : `network error (${name ?? 'unknown'})`,
        true,
      );
    }
    // Read the body so that the connection is released; its content is the gateway's business.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    throw new SmsDeliveryError(`gateway answered ${response.status}`, response.status >= 500 || RETRYABLE_STATUS.has(response.status));
  }

  return {
    async send({ messageId, phone, template, params }) {
      const body = JSON.stringify({ messageId, phone, signName: config.signName, template, params });
      for (let attempt = 1; ; attempt++) {
        try {
          await attemptOnce(body, messageId);
          return;
        } catch (error) {
          const failure = error instanceof SmsDeliveryError ? error : new SmsDeliveryError(String(error), false);
          const last = !failure.retryable || attempt >= config.attempts;
          deps.log?.(
            `短信发送失败 SMS to ${maskPhone(phone)} failed (attempt ${attempt}/${config.attempts}): ${failure.message}${last ? '' : '; trying again'}`,
          );
          if (last) throw failure;
          await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
        }
      }
    },
  };
}

/** Kiosk one-time codes through the gateway, with the configured template (it gets `code` and `minutes`). */
export function smsGatewaySender(config: SmsGatewayConfig, deps: SmsGatewayDeps = {}): CodeSender {
  const gateway = createSmsGateway(config, deps);
  return {
    delivery: 'sms',
    send: ({ phone, code, minutes }) =>
      gateway.send({ messageId: randomUUID(), phone, template: config.template, params: { code, minutes: String(minutes) } }),
  };
}
