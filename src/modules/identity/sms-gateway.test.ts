import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SmsGatewayConfig } from '../../core/config.ts';
import { smsGatewaySender } from './sms-gateway.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local gateway: answers each request with the next behaviour ('hang' never answers). */
async function startGateway(behaviours: (number | 'hang')[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const behaviour = behaviours[received.length - 1] ?? 200;
      if (behaviour === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(behaviour, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: behaviour < 300 }));
    });
  });
  server.on('close', () => hanging.forEach((r) => r.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/v1/sms/send?region=cn`, received, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const config = (url: string, more: Partial<SmsGatewayConfig> = {}): SmsGatewayConfig => ({
  url,
  keyId: 'AK-test',
  secret: 'test-secret-0123456789',
  template: 'SMS_123456',
  signName: '一办',
  timeoutMs: 2000,
  attempts: 3,
  ...more,
});

const message = { phone: '13912345678', code: '042917', minutes: 5, residentIdMasked: '130123********0017' };

/** The documented signature, computed here on its own so that a change of scheme fails the test. */
function expectedSignature(secret: string, r: Received): string {
  const canonical = `POST\n${r.url}\n${String(r.headers['x-yiban-timestamp'])}\n${String(r.headers['x-yiban-nonce'])}\n${createHash('sha256').update(r.body).digest('hex')}`;
  return createHmac('sha256', secret).update(canonical).digest('base64');
}

describe('SMS gateway sender', () => {
  it('posts one signed JSON message with the template, the code and the phone', async () => {
    const gateway = await startGateway([200]);
    const lines: string[] = [];
    await smsGatewaySender(config(gateway.url), { log: (l) => lines.push(l) }).send(message);
    expect(gateway.received).toHaveLength(1);
    const [r] = gateway.received as [Received];
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v1/sms/send?region=cn');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['x-yiban-key-id']).toBe('AK-test');
    expect(Math.abs(Number(r.headers['x-yiban-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(r.headers['x-yiban-nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(r.headers['x-yiban-signature']).toBe(expectedSignature('test-secret-0123456789', r));
    expect(r.headers['x-yiban-signature']).not.toBe(expectedSignature('another-secret', r));
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(body).toEqual({
      messageId: r.headers['idempotency-key'],
      phone: '13912345678',
      signName: '一办',
      template: 'SMS_123456',
      params: { code: '042917', minutes: '5' },
    });
    expect(lines).toEqual([]);
  });

  it('tries again after a 503 and a 429 with the same message id and a new nonce, then succeeds', async () => {
    const gateway = await startGateway([503, 429, 200]);
    await smsGatewaySender(config(gateway.url), { backoffMs: () => 1 }).send(message);
    expect(gateway.received).toHaveLength(3);
    const ids = new Set(gateway.received.map((r) => r.headers['idempotency-key']));
    const nonces = new Set(gateway.received.map((r) => r.headers['x-yiban-nonce']));
    expect(ids.size).toBe(1);
    expect(nonces.size).toBe(3);
    for (const r of gateway.received) expect(r.headers['x-yiban-signature']).toBe(expectedSignature('test-secret-0123456789', r));
  });

  it('does not try again after a refusal (400), and says so without the code or the full phone number', async () => {
    const gateway = await startGateway([400, 200]);
    const lines: string[] = [];
    await expect(smsGatewaySender(config(gateway.url), { backoffMs: () => 1, log: (l) => lines.push(l) }).send(message)).rejects.toThrow(
      /answered 400/,
    );
    expect(gateway.received).toHaveLength(1);
    expect(lines.join('\n')).toContain('139****5678');
    expect(lines.join('\n')).not.toContain('13912345678');
    expect(lines.join('\n')).not.toContain('042917');
  });

  it('gives up an attempt after the timeout and stops after the configured number of attempts', async () => {
    const gateway = await startGateway(['hang', 'hang', 'hang']);
    const started = Date.now();
    await expect(
      smsGatewaySender(config(gateway.url, { timeoutMs: 150, attempts: 2 }), { backoffMs: () => 1 }).send(message),
    ).rejects.toThrow(/no answer within 150 ms/);
    expect(gateway.received).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('treats an unreachable gateway as retryable and fails after all attempts', async () => {
    const gateway = await startGateway([]);
    const url = gateway.url;
    gateway.server.closeAllConnections();
    await new Promise((resolve) => gateway.server.close(resolve));
    servers.length = 0;
    const lines: string[] = [];
    await expect(
      smsGatewaySender(config(url, { attempts: 2 }), { backoffMs: () => 1, log: (l) => lines.push(l) }).send(message),
    ).rejects.toThrow(/network error/);
    expect(lines).toHaveLength(2);
  });
});
