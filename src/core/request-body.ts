import type { IncomingMessage } from 'node:http';

/**
 * A plain node:http request's body as UTF-8 text, or null when it is over `maxBytes` (read to its
 * end all the same, keeping nothing past the limit, so that the answer can still be written): for
 * the small servers outside the platform's Fastify app (a department's signed intake, a hospital's
 * system).
 */
export function readBodyText(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBytes ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
