import { describe, expect, it } from 'vitest';
import { loadCodeSenderConfig } from '../../core/config.ts';
import { createCodeSender, demoCodeSender } from './code-senders.ts';

describe('kiosk code senders', () => {
  it('the demo sender prints the code labelled as a demo, with the phone masked', async () => {
    const lines: string[] = [];
    const sender = demoCodeSender((l) => lines.push(l));
    expect(sender.delivery).toBe('console');
    await sender.send({ phone: '13831100004', code: '123456', minutes: 5, residentIdMasked: '130123********0015' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('演示 DEMO');
    expect(lines[0]).toContain('123456');
    expect(lines[0]).toContain('138****0004');
    expect(lines[0]).not.toContain('13831100004');
  });

  it('is chosen by configuration: none without a gateway outside demo mode, demo only in demo mode, sms with a gateway', () => {
    expect(loadCodeSenderConfig({})).toEqual({ kind: 'none' });
    expect(createCodeSender({ kind: 'none' })).toBeNull();
    expect(loadCodeSenderConfig({ YIBAN_DEMO: '1' })).toEqual({ kind: 'demo' });
    expect(createCodeSender({ kind: 'demo' })?.delivery).toBe('console');
    expect(() => loadCodeSenderConfig({ YIBAN_CODE_SENDER: 'demo' })).toThrow(/YIBAN_DEMO=1/);
    expect(() => loadCodeSenderConfig({ YIBAN_CODE_SENDER: 'carrier-pigeon' })).toThrow(/sms, demo or none/);

    const gatewayEnv = {
      YIBAN_SMS_URL: 'https://sms.example.cn/send',
      YIBAN_SMS_KEY_ID: 'AK',
      YIBAN_SMS_SECRET: 's',
      YIBAN_SMS_TEMPLATE: 'SMS_1',
    };
    const sms = loadCodeSenderConfig({ ...gatewayEnv, YIBAN_DEMO: '1' });
    expect(sms).toMatchObject({
      kind: 'sms',
      gateway: { url: 'https://sms.example.cn/send', keyId: 'AK', template: 'SMS_1', signName: '一办', timeoutMs: 5000, attempts: 3 },
    });
    expect(sms.kind === 'sms' && createCodeSender(sms)?.delivery).toBe('sms');
    // An explicit choice of none wins over a configured gateway.
    expect(loadCodeSenderConfig({ ...gatewayEnv, YIBAN_CODE_SENDER: 'none' })).toEqual({ kind: 'none' });
  });

  it('refuses an incomplete or plain-http gateway at start', () => {
    expect(() => loadCodeSenderConfig({ YIBAN_SMS_URL: 'https://sms.example.cn/send' })).toThrow(
      /YIBAN_SMS_KEY_ID, YIBAN_SMS_SECRET, YIBAN_SMS_TEMPLATE/,
    );
    const env = { YIBAN_SMS_KEY_ID: 'AK', YIBAN_SMS_SECRET: 's', YIBAN_SMS_TEMPLATE: 'SMS_1' };
    expect(() => loadCodeSenderConfig({ ...env, YIBAN_SMS_URL: 'http://sms.example.cn/send' })).toThrow(/https/);
    expect(loadCodeSenderConfig({ ...env, YIBAN_SMS_URL: 'http://127.0.0.1:9000/send' }).kind).toBe('sms');
    expect(() => loadCodeSenderConfig({ ...env, YIBAN_SMS_URL: 'https://x.cn/', YIBAN_SMS_ATTEMPTS: '0' })).toThrow(/YIBAN_SMS_ATTEMPTS/);
  });
});
