import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, formatMessage } from '../../core/errors.ts';
import { clientAddress } from '../../http/rate-limit.ts';
import { APP_CSP } from '../../http/security-headers.ts';
import { OIDC_MOUNT, type OidcHub } from './provider.ts';
import { renderConsentPage, renderErrorPage, renderLoginPage, type PageError } from './interaction-pages.ts';

interface UidParams {
  uid: string;
}

const UID_SCHEMA = {
  type: 'object',
  properties: { uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['uid'],
} as const;

/**
 * The hub's OpenID Connect provider inside the Fastify app (role hub only): the sign-in pages
 * under /oidc/interaction/:uid are ours (the resident's password login of identity, then consent);
 * every other path under /oidc goes to oidc-provider untouched (its body unread by Fastify).
 */
export function oidcProviderRoutes(deps: { hub: OidcHub }): FastifyPluginAsync {
  const { hub } = deps;
  return async (app) => {
    await app.register(async (pages) => {
      pages.removeAllContentTypeParsers();
      pages.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
      });
      const schema = { hide: true, params: UID_SCHEMA };

      pages.get<{ Params: UidParams }>(`${OIDC_MOUNT}/interaction/:uid`, { schema }, async (request, reply) => {
        const details = await interaction(request, reply);
        if (!details) return reply;
        const clientName = await displayName(details.params.client_id);
        if (details.prompt.name === 'login') return html(reply, 200, renderLoginPage({ uid: details.uid, clientName }), details);
        const scope = details.params.scope;
        const scopes = (typeof scope === 'string' ? scope : '').split(' ').filter((s) => s.length > 0);
        return html(reply, 200, renderConsentPage({ uid: details.uid, clientName, scopes }), details);
      });

      pages.post<{ Params: UidParams; Body: Record<string, string> }>(
        `${OIDC_MOUNT}/interaction/:uid/login`,
        { schema, config: { rateLimitClass: 'login' } },
        async (request, reply) => {
          const details = await interaction(request, reply);
          if (!details) return reply;
          const residentIdOrPhone = String(request.body.residentIdOrPhone ?? '').slice(0, 64);
          const password = String(request.body.password ?? '');
          let accountId: string;
          try {
            ({ accountId } = await hub.directory.checkResidentPassword({ residentIdOrPhone, password, source: clientAddress(request) }));
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            const shown: PageError = {
              zh: formatMessage(error.code, error.params, 'zh-CN'),
              en: formatMessage(error.code, error.params, 'en'),
            };
            const clientName = await displayName(details.params.client_id);
            return html(reply, error.status, renderLoginPage({ uid: details.uid, clientName, error: shown, residentIdOrPhone }), details);
          }
          const provider = await hub.provider();
          const to = await provider.interactionResult(request.raw, reply.raw, { login: { accountId } }, { mergeWithLastSubmission: false });
          return reply.redirect(to, 303);
        },
      );

      pages.post<{ Params: UidParams }>(`${OIDC_MOUNT}/interaction/:uid/confirm`, { schema }, async (request, reply) => {
        const details = await interaction(request, reply);
        if (!details) return reply;
        const provider = await hub.provider();
        const accountId = details.session?.accountId;
        const clientId = String(details.params.client_id);
        if (details.prompt.name !== 'consent' || !accountId) return errorPage(reply, 400, 'invalid_request', 'not a consent step');
        const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
        if (!grant) return errorPage(reply, 400, 'invalid_request', 'grant not found');
        const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        const grantId = await grant.save();
        const to = await provider.interactionResult(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return reply.redirect(to, 303);
      });

      pages.post<{ Params: UidParams }>(`${OIDC_MOUNT}/interaction/:uid/abort`, { schema }, async (request, reply) => {
        const details = await interaction(request, reply);
        if (!details) return reply;
        const provider = await hub.provider();
        const result = { error: 'access_denied', error_description: 'the resident did not log in or did not consent' };
        const to = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
        return reply.redirect(to, 303);
      });
    });

    await app.register(async (passthrough) => {
      // oidc-provider reads its own bodies (the token endpoint's form), so Fastify leaves them unread.
      passthrough.removeAllContentTypeParsers();
      passthrough.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
      const handler = async (request: FastifyRequest, reply: FastifyReply) => {
        await hub.provider();
        const raw = request.raw as IncomingMessage & { originalUrl?: string };
        // Our security headers (set on the reply by the onRequest hook) go on the raw response it writes.
        for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
        reply.hijack();
        raw.originalUrl = raw.url;
        raw.url = (raw.url ?? '').slice(OIDC_MOUNT.length) || '/';
        await hub.handle(raw, reply.raw);
      };
      passthrough.all(OIDC_MOUNT, { schema: { hide: true } }, handler);
      passthrough.all(`${OIDC_MOUNT}/*`, { schema: { hide: true } }, handler);
    });
  };

  async function displayName(clientId: unknown): Promise<string> {
    const id = typeof clientId === 'string' ? clientId : '';
    return (await hub.clientName(id)) ?? id;
  }

  /** The interaction of this browser (its cookie) and this uid, or an error page when it has expired or is not this browser's. */
  async function interaction(request: FastifyRequest<{ Params: UidParams }>, reply: FastifyReply) {
    const provider = await hub.provider();
    try {
      const details = await provider.interactionDetails(request.raw, reply.raw);
      if (details.uid !== request.params.uid) throw new Error('uid mismatch');
      return details;
    } catch {
      errorPage(
        reply,
        400,
        'interaction_expired',
        '登录请求已过期或不属于本浏览器 the login request has expired or belongs to another browser',
      );
      return null;
    }
  }
}

/** A page whose forms may post here and then be redirected (303) to the client's registered redirect URI. */
function html(reply: FastifyReply, status: number, body: string, details: { params: Record<string, unknown> }) {
  let formAction = "'self'";
  try {
    formAction += ` ${new URL(String(details.params.redirect_uri)).origin}`;
  } catch {
    // No redirect URI (the provider checked it before sending the resident here): this site only.
  }
  return reply
    .code(status)
    .header('content-security-policy', APP_CSP.replace("form-action 'self'", `form-action ${formAction}`))
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body);
}

function errorPage(reply: FastifyReply, status: number, error: string, description: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(renderErrorPage({ error, description }));
}
