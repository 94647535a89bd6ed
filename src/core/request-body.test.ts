import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyText } from './request-body.ts';

describe('readBodyText', () => {
  const server = createServer((req, res) => {
    void readBodyText(req, 16).then((text) => res.end(JSON.stringify({ text })));
  });
  let port = 0;
  beforeAll(
    () => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => ((port = (server.address() as AddressInfo).port), resolve()))),
  );
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (chunks: string[]) =>
    new Promise<unknown>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
        let out = '';
        res.setEncoding('utf8').on('data', (c: string) => (out += c));
        res.on('end', () => resolve(JSON.parse(out)));
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });

  it('gives the body as text, across chunks and multi-byte characters, up to the limit', async () => {
    expect(await post(['一办', ' Yiban'])).toEqual({ text: '一办 Yiban' });
    expect(await post([])).toEqual({ text: '' });
    // 16 bytes exactly: the limit is inclusive.
    expect(await post(['0123456789abcdef'])).toEqual({ text: '0123456789abcdef' });
  });

  it('gives null past the limit, and the request still gets its answer', async () => {
    expect(await post(['0123456789abcdef', 'g'])).toEqual({ text: null });
    expect(await post(['一二三四五六'])).toEqual({ text: null }); // 18 bytes in UTF-8
  });
});
