import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createResidentIdVault, hashPassword, hashSessionToken, newSessionToken, verifyPassword } from './crypto.ts';

describe('resident ID vault', () => {
  const key = randomBytes(32);
  const vault = createResidentIdVault(key);
  const id = '11010519491231002X';

  it('encrypts as IV ‖ ciphertext ‖ tag with a fresh IV, and decrypts', () => {
    const a = vault.encrypt(id);
    const b = vault.encrypt(id);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64')).toHaveLength(12 + 18 + 16);
    expect(vault.decrypt(a)).toBe(id);
    expect(a).not.toContain('19491231');
  });

  it('refuses a tampered ciphertext and a different key', () => {
    const raw = Buffer.from(vault.encrypt(id), 'base64');
    raw[14]! ^= 1;
    expect(() => vault.decrypt(raw.toString('base64'))).toThrow();
    expect(() => createResidentIdVault(randomBytes(32)).decrypt(vault.encrypt(id))).toThrow();
  });

  it('gives a stable keyed lookup hash', () => {
    expect(vault.lookupHash(id)).toMatch(/^[0-9a-f]{64}$/);
    expect(vault.lookupHash(id)).toBe(createResidentIdVault(Buffer.from(key)).lookupHash(id));
    expect(vault.lookupHash(id)).not.toBe(createResidentIdVault(randomBytes(32)).lookupHash(id));
  });

  it('wants a 32-byte master key', () => {
    expect(() => createResidentIdVault(randomBytes(16))).toThrow();
  });
});

describe('passwords and tokens', () => {
  it('hashes with argon2id at the OWASP parameters', async () => {
    const stored = await hashPassword('abc12345');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'abc12345')).toBe(true);
    expect(await verifyPassword(stored, 'abc12346')).toBe(false);
    expect(await verifyPassword('not a hash', 'abc12345')).toBe(false);
  });

  it('issues 32-byte base64url tokens and stores their SHA-256', () => {
    const { token, tokenHash } = newSessionToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenHash).toBe(hashSessionToken(token));
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(newSessionToken().token).not.toBe(token);
  });
});
