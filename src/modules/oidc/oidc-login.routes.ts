import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../core/errors.ts';
import { withErrors } from '../../http/schemas.ts';
import { deliverSession } from '../../http/session.ts';
import { PENDING_LOGIN_TTL_MS, type OidcLogin } from './relying-party.ts';

/** The pending login's cookie: Lax, because the hub sends the browser back with a cross-site navigation. */
const PENDING_COOKIE = 'yiban_oidc';
const COOKIE_PATH = '/api/auth/oidc';

const tags = ['identity'];
const Redirect = Type.Null({ description: '303 See Other: Location 指向下一步 · Location is the next step' });
const param = (description: string) => Type.Optional(Type.String({ maxLength: 2048, pattern: '^[\\x20-\\x7E]*$', description }));

const pendingCookieOptions = (request: FastifyRequest) =>
  ({ httpOnly: true, sameSite: 'lax', path: COOKIE_PATH, secure: request.protocol === 'https' }) as const;

/**
 * A province node's resident login through the national hub (`oidcLogin` set: YIBAN_NODE_ROLE=province
 * with the YIBAN_OIDC_* settings; elsewhere 404 OIDC_NOT_CONFIGURED). Residents only; helpers and staff log in locally.
 */
export function oidcLoginRoutes(deps: { oidcLogin: OidcLogin | null }): FastifyPluginAsyncTypebox {
  // Documented on every node; without the settings (a standalone node, the hub itself) they answer why not.
  const configured = (): OidcLogin => {
    if (!deps.oidcLogin) throw new AppError('OIDC_NOT_CONFIGURED');
    return deps.oidcLogin;
  };
  return (app) => {
    app.get(
      '/auth/oidc/start',
      {
        schema: {
          tags,
          summary: '用国家政务服务平台账号登录：跳转到国家平台 · log in with the national account: go to the hub',
          description:
            '浏览器导航到此地址；应答 303 跳转到国家政务服务平台的授权页（含 state、nonce 与 PKCE），并在 Cookie 中保存本次登录（10 分钟）。' +
            ' A browser navigates here; the answer redirects to the hub (state, nonce, PKCE) and keeps the pending login in a cookie for 10 minutes.',
          security: [],
          response: withErrors({ 303: Redirect }, [404, 502]),
        },
      },
      async (request, reply) => {
        const { url, pending } = await configured().start();
        void reply.setCookie(PENDING_COOKIE, pending, { ...pendingCookieOptions(request), maxAge: PENDING_LOGIN_TTL_MS / 1000 });
        return reply.header('cache-control', 'no-store').redirect(url, 303);
      },
    );

    app.get(
      '/auth/oidc/callback',
      {
        schema: {
          tags,
          summary: '国家政务服务平台登录回调 · the hub sends the browser back here',
          description:
            '核对 state，用授权码与 PKCE 向国家平台换取身份令牌，按身份证号（与本地注册相同的加密与索引方式）找到或登记居民，开启本节点的会话（HttpOnly Cookie），再 303 跳转到居民端（/login?oidc=1）。' +
            ' Checks the state, exchanges the code (PKCE) for the ID token, finds or registers the resident keyed by the ID number as local registration does, opens a session of this node and redirects to the resident app.',
          security: [],
          querystring: Type.Object({
            code: param('授权码 authorization code'),
            state: param('state'),
            iss: param('issuer (RFC 9207)'),
            error: param('OAuth error'),
            error_description: param('OAuth error description'),
          }),
          response: withErrors({ 303: Redirect }, [400, 401, 403, 404, 502]),
        },
      },
      async (request, reply) => {
        const oidcLogin = configured();
        const pending = request.cookies[PENDING_COOKIE];
        // One attempt per pending login, whatever its outcome.
        void reply.clearCookie(PENDING_COOKIE, pendingCookieOptions(request));
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        const session = await oidcLogin.finish(query, pending);
        deliverSession(request, reply, session, { persistent: true });
        // The resident app learns whose session it is (GET /api/me) and goes home.
        return reply.header('cache-control', 'no-store').redirect('/login?oidc=1', 303);
      },
    );
    return Promise.resolve();
  };
}
