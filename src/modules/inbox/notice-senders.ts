import type { NoticeSenderConfig } from '../../core/config.ts';
import { createSmsGateway, maskPhone, type GatewayMessage } from '../identity/index.ts';

/** One notice on its way to a resident's phone: the message's id (the gateway's idempotency key) and a short title. */
export interface NoticeSms {
  messageId: string;
  /** The resident's mobile number (never logged in clear). */
  phone: string;
  /** A short Chinese title with no amounts or ID numbers (`smsTitle`). */
  title: string;
}

/** Sends the text message of an inbox notice: the SMS gateway, or (demo deployments only) the server console. */
export interface NoticeSender {
  readonly delivery: 'sms' | 'console';
  send(sms: NoticeSms): Promise<void>;
}

/** The text a resident reads: the title and where to look, nothing more. */
const noticeText = (title: string) => `【一办】${title}，请登录一办查看。`;

/**
 * Demo deployments only: prints the text on the server console, the phone masked.
 * `createNoticeSender` builds it only for `{ kind: 'demo' }`, which needs `YIBAN_DEMO=1`.
 */
export function demoNoticeSender(print: (line: string) => void = (line) => console.log(line)): NoticeSender {
  return {
    delivery: 'console',
    async send({ phone, title }) {
      print(`【演示 DEMO】短信通知 notice by SMS → ${maskPhone(phone)}: ${noticeText(title)}`);
    },
  };
}

/** The notices' template at the gateway (`YIBAN_SMS_NOTICE_TEMPLATE`) gets `title`; the message id is the Idempotency-Key. */
export function gatewayNoticeSender(gateway: { send(message: GatewayMessage): Promise<void> }, template: string): NoticeSender {
  return {
    delivery: 'sms',
    send: ({ messageId, phone, title }) => gateway.send({ messageId, phone, template, params: { title } }),
  };
}

/** The configured sender, or null when none is configured (notices then stay in the inbox only). */
export function createNoticeSender(
  config: NoticeSenderConfig,
  options: { print?: (line: string) => void; log?: (line: string) => void } = {},
): NoticeSender | null {
  const kind = config.kind;
  switch (kind) {
    case 'sms':
      return gatewayNoticeSender(createSmsGateway(config.gateway, options.log ? { log: options.log } : {}), config.gateway.template);
    case 'demo':
      return demoNoticeSender(options.print);
    case 'none':
      return null;
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown notice sender ${String(unreachable)}`);
    }
  }
}
