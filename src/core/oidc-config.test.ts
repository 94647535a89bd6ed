import { describe, expect, it } from 'vitest';
import { loadNodeRole, loadOidcConfig } from './config.ts';

describe('node role and OpenID Connect configuration', () => {
  it('is a standalone node without OIDC by default', () => {
    expect(loadNodeRole({})).toBe('standalone');
    expect(loadOidcConfig({})).toEqual({ kind: 'none' });
    expect(() => loadNodeRole({ YIBAN_NODE_ROLE: 'national' })).toThrow(/standalone, province or hub/);
  });

  it('makes the hub a provider at <public URL>/oidc unless YIBAN_OIDC_ISSUER says otherwise', () => {
    expect(loadOidcConfig({ YIBAN_NODE_ROLE: 'hub', YIBAN_PUBLIC_URL: 'https://gov.example.cn/' })).toEqual({
      kind: 'provider',
      issuer: 'https://gov.example.cn/oidc',
    });
    expect(loadOidcConfig({ YIBAN_NODE_ROLE: 'hub', YIBAN_OIDC_ISSUER: 'https://id.example.cn/oidc' })).toMatchObject({
      issuer: 'https://id.example.cn/oidc',
    });
    expect(() => loadOidcConfig({ YIBAN_NODE_ROLE: 'hub', YIBAN_OIDC_ISSUER: 'https://id.example.cn/' })).toThrow(/\/oidc/);
    expect(() => loadOidcConfig({ YIBAN_NODE_ROLE: 'hub', YIBAN_OIDC_ISSUER: 'http://id.example.cn/oidc' })).toThrow(/https/);
    expect(() => loadOidcConfig({ YIBAN_OIDC_ISSUER: 'https://id.example.cn/oidc' })).toThrow(/for the hub/);
  });

  it('gives a province its client only with all three settings, and only on a province', () => {
    const env = {
      YIBAN_NODE_ROLE: 'province',
      YIBAN_OIDC_ISSUER_URL: 'https://gov.example.cn/oidc',
      YIBAN_OIDC_CLIENT_ID: 'guangxi',
      YIBAN_OIDC_CLIENT_SECRET: 's3cret',
    };
    expect(loadOidcConfig(env)).toEqual({
      kind: 'client',
      issuerUrl: 'https://gov.example.cn/oidc',
      clientId: 'guangxi',
      clientSecret: 's3cret',
    });
    expect(loadOidcConfig({ YIBAN_NODE_ROLE: 'province' })).toEqual({ kind: 'none' });
    expect(() => loadOidcConfig({ ...env, YIBAN_OIDC_CLIENT_SECRET: '' })).toThrow(/YIBAN_OIDC_CLIENT_SECRET/);
    expect(() => loadOidcConfig({ ...env, YIBAN_NODE_ROLE: 'standalone' })).toThrow(/province node/);
    expect(() => loadOidcConfig({ ...env, YIBAN_OIDC_ISSUER_URL: 'http://gov.example.cn/oidc' })).toThrow(/https/);
    expect(loadOidcConfig({ ...env, YIBAN_OIDC_ISSUER_URL: 'http://127.0.0.1:4000/oidc' })).toMatchObject({
      issuerUrl: 'http://127.0.0.1:4000/oidc',
    });
  });
});
