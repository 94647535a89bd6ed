import type { CodeDelivery, CodeMessage, CodeSender } from '../src/modules/identity/code-senders.ts';

/** A code sender for tests: keeps every message instead of sending it. */
export interface CapturingCodeSender extends CodeSender {
  readonly sent: CodeMessage[];
  /** The codes sent to this phone, oldest first. */
  codesTo(phone: string): string[];
  /** The last code sent to this phone; throws when there is none. */
  lastCodeTo(phone: string): string;
}

export function capturingCodeSender(delivery: CodeDelivery = 'sms'): CapturingCodeSender {
  const sent: CodeMessage[] = [];
  const codesTo = (phone: string) => sent.filter((m) => m.phone === phone).map((m) => m.code);
  return {
    delivery,
    sent,
    async send(message) {
      sent.push(message);
    },
    codesTo,
    lastCodeTo(phone) {
      const code = codesTo(phone).at(-1);
      if (code === undefined) throw new Error(`no code was sent to ${phone.slice(0, 3)}****${phone.slice(7)}`);
      return code;
    },
  };
}
