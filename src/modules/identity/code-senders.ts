import type { CodeSenderConfig } from '../../core/config.ts';
import { smsGatewaySender } from './sms-gateway.ts';
import { maskPhone } from './validation.ts';

/** One kiosk one-time code on its way to a resident's phone. */
export interface CodeMessage {
  /** The resident's mobile number (never logged in clear). */
  phone: string;
  code: string;
  /** How long the code is valid, for the text. */
  minutes: number;
  residentIdMasked: string;
}

/** Where the code ends up: a text message, or (demo deployments only) the server console. */
export type CodeDelivery = 'sms' | 'console';

/**
 * Sends kiosk one-time codes. The code never travels back in an API answer: it reaches the
 * resident's phone or, in a demo deployment, the operator's console.
 */
export interface CodeSender {
  readonly delivery: CodeDelivery;
  send(message: CodeMessage): Promise<void>;
}

/**
 * Demo deployments only: prints the code on the server console, clearly labelled, with the phone
 * and ID number masked. `createCodeSender` builds it only for `{ kind: 'demo' }`, which the
 * configuration allows only with `YIBAN_DEMO=1`.
 */
export function demoCodeSender(print: (line: string) => void = (line) => console.log(line)): CodeSender {
  return {
    delivery: 'console',
    async send({ phone, code, minutes, residentIdMasked }) {
      print(
        `【演示 DEMO】自助终端验证码 kiosk one-time code → ${maskPhone(phone)} (${residentIdMasked}): ${code}  ` +
          `（${minutes} 分钟内有效；正式部署以短信发送 / valid ${minutes} min; a real deployment sends a text message）`,
      );
    },
  };
}

/** The configured sender, or null when none is configured (kiosk code login is then unavailable). */
export function createCodeSender(
  config: CodeSenderConfig,
  options: { print?: (line: string) => void; log?: (line: string) => void } = {},
): CodeSender | null {
  const kind = config.kind;
  switch (kind) {
    case 'sms':
      return smsGatewaySender(config.gateway, options.log ? { log: options.log } : {});
    case 'demo':
      return demoCodeSender(options.print);
    case 'none':
      return null;
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown code sender ${String(unreachable)}`);
    }
  }
}
