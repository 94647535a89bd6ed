import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newSigningKey } from '../../test/external-department.ts';
import { loadPaymentRailConfig } from './config.ts';

describe('the payment rail from the environment', () => {
  const key = newSigningKey('bank');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'yiban-rail-')), 'bank.pub.pem');
  writeFileSync(file, key.publicKeyPem);

  it('is the internal bank unless a bank URL is configured', () => {
    expect(loadPaymentRailConfig({})).toEqual({ kind: 'internal' });
    expect(loadPaymentRailConfig({ YIBAN_PAYMENT_RAIL: 'internal', YIBAN_BANK_URL: 'http://127.0.0.1:9' })).toEqual({ kind: 'internal' });
  });

  it("is the bank's own system with its pinned key when YIBAN_BANK_URL is set", () => {
    expect(
      loadPaymentRailConfig({
        YIBAN_BANK_URL: 'https://bank.example/yiban/',
        YIBAN_BANK_PUBLIC_KEY: file,
        YIBAN_BANK_NAME: '农业银行正定县支行',
        YIBAN_BANK_ATTEMPTS: '6',
      }),
    ).toEqual({
      kind: 'external',
      baseUrl: 'https://bank.example/yiban',
      publicKey: key.publicKeyPem,
      name: '农业银行正定县支行',
      attempts: 6,
    });
  });

  it('stops at a missing key, a wrong rail or an out-of-range setting', () => {
    expect(() => loadPaymentRailConfig({ YIBAN_BANK_URL: 'https://bank.example' })).toThrow(/YIBAN_BANK_PUBLIC_KEY/);
    expect(() => loadPaymentRailConfig({ YIBAN_PAYMENT_RAIL: 'carrier-pigeon' })).toThrow(/internal or external/);
    expect(() =>
      loadPaymentRailConfig({ YIBAN_BANK_URL: 'https://bank.example', YIBAN_BANK_PUBLIC_KEY: file, YIBAN_BANK_TIMEOUT_MS: '5' }),
    ).toThrow(/YIBAN_BANK_TIMEOUT_MS/);
  });
});
