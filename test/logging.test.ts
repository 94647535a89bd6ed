import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeResidentId } from '../src/modules/identity/resident-id.ts';
import { buildServer } from '../src/http/server.ts';
import { createTestDatabase } from './db.ts';

describe('logs', () => {
  it('never carry a resident ID number in clear, in messages, URLs or errors', async () => {
    const id = makeResidentId('130123', '1990-03-07', 1);
    const database = await createTestDatabase('pglite');
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await buildServer({
      database,
      auth: { authenticate: () => Promise.resolve(null) },
      apiRoutes: [
        async (api) => {
          api.get('/boom', () => {
            throw new Error(`lookup failed for ${id}`);
          });
        },
      ],
      logStream: stream,
    });
    try {
      app.log.info(`registering ${id}`);
      app.log.info({ residentId: id }, 'object field');
      await app.inject(`/api/orgs?q=${id}`);
      await app.inject('/api/boom');
      // Request lines go through their own serializer (server.ts): its fields are masked too.
      await app.inject({ url: '/healthz', headers: { host: `${id}.example`, 'accept-version': id } });
      expect(lines.some((l) => l.includes('"url":"/api/orgs?q=130123********'))).toBe(true);
      const text = lines.join('');
      expect(text).toContain('130123********');
      expect(text).not.toContain(id);
      expect(text).not.toContain(id.slice(6, 14));
    } finally {
      await app.close();
      await database.close();
    }
  });
});
