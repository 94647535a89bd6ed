import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { clientAddress } from '../../http/rate-limit.ts';
import { withErrors } from '../../http/schemas.ts';
import { deliverSession, LoginHeaders } from '../../http/session.ts';
import { LoginResponse } from './identity.schemas.ts';
import type { KioskLogin } from './kiosk-login.ts';

const ResidentIdBody = Type.String({ minLength: 15, maxLength: 30, description: '居民身份证号 resident ID number' });

/** Kiosk login with ID number and one-time code. The cookie lasts the browser session only: a shared device keeps nothing. */
export function kioskRoutes(deps: { kiosk: KioskLogin }): FastifyPluginAsyncTypebox {
  const tags = ['identity'];
  return async (app) => {
    app.post(
      '/auth/kiosk/code',
      {
        schema: {
          tags,
          summary: '自助终端：发送一次性验证码 · kiosk: send a one-time code',
          description:
            '向该身份证号的居民登记的手机发送 6 位验证码（5 分钟内有效）。无论账号是否存在、是否锁定，回答都相同，验证码从不出现在回答中；' +
            '`delivery` 为 console 时是演示部署，验证码打印在服务器控制台。未配置短信服务时回答 503 KIOSK_LOGIN_UNAVAILABLE。\n\n' +
            'Sends a 6-digit code (valid 5 minutes) to the phone registered for this ID number. The answer is the same whether or not the ' +
            'account exists or is locked, and never contains the code; `delivery: console` means a demo deployment printing codes on the server console.',
          security: [],
          body: Type.Object({ residentId: ResidentIdBody }, { additionalProperties: false }),
          response: withErrors(
            {
              200: Type.Object({
                accepted: Type.Literal(true),
                expiresInSeconds: Type.Integer(),
                delivery: Type.Union([Type.Literal('sms'), Type.Literal('console')], {
                  description: 'sms: 短信 text message; console: 演示部署的服务器控制台 demo server console',
                }),
              }),
            },
            [400, 429, 503],
          ),
        },
        config: { rateLimitClass: 'kioskCode' },
      },
      async (request) => deps.kiosk.requestCode(request.body.residentId, clientAddress(request)),
    );

    app.post(
      '/auth/kiosk/login',
      {
        schema: {
          tags,
          summary: '自助终端：身份证号 + 验证码登录 · kiosk: log in with ID number and code',
          description:
            '会话至多 15 分钟，Cookie 只在本次浏览器会话内有效（`X-Auth-Mode: bearer` 时令牌在应答体中，不设 Cookie）；验证码一次有效，错 5 次作废。错误的验证码与错误的密码一样计入账号锁定（连续 5 次锁定 15 分钟）。',
          security: [],
          headers: LoginHeaders,
          body: Type.Object(
            { residentId: ResidentIdBody, code: Type.String({ pattern: '^\\s*\\d{6}\\s*$' }) },
            { additionalProperties: false },
          ),
          response: withErrors({ 200: LoginResponse }, [400, 401, 403, 423, 429]),
        },
        config: { rateLimitClass: 'kioskLogin' },
      },
      async (request, reply) =>
        deliverSession(request, reply, await deps.kiosk.login(request.body.residentId, request.body.code, clientAddress(request)), {
          persistent: false,
        }),
    );
  };
}
