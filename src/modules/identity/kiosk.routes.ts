import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
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
          description: '向该身份证号的居民发送 6 位验证码（5 分钟内有效）。无论账号是否存在，回答相同；演示部署在回答中给出验证码。',
          security: [],
          body: Type.Object({ residentId: ResidentIdBody }, { additionalProperties: false }),
          response: withErrors({ 200: Type.Object({ expiresAt: Type.String(), demoCode: Type.Optional(Type.String()) }) }, [400]),
        },
      },
      async (request) => deps.kiosk.requestCode(request.body.residentId),
    );

    app.post(
      '/auth/kiosk/login',
      {
        schema: {
          tags,
          summary: '自助终端：身份证号 + 验证码登录 · kiosk: log in with ID number and code',
          description: '会话至多 15 分钟，Cookie 只在本次浏览器会话内有效（`X-Auth-Mode: bearer` 时令牌在应答体中，不设 Cookie）；验证码一次有效，错 5 次作废。',
          security: [],
          headers: LoginHeaders,
          body: Type.Object({ residentId: ResidentIdBody, code: Type.String({ pattern: '^\\s*\\d{6}\\s*$' }) }, { additionalProperties: false }),
          response: withErrors({ 200: LoginResponse }, [400, 401]),
        },
      },
      async (request, reply) => deliverSession(request, reply, await deps.kiosk.login(request.body.residentId, request.body.code), { persistent: false }),
    );
  };
}
