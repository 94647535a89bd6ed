import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay in front of a node: `down` refuses every connection (the node is unreachable), up it relays. */
export async function relay(targetPort: () => number): Promise<{ url: string; setDown(down: boolean): void; close(): Promise<void> }> {
  let down = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (down) {
      client.destroy();
      return;
    }
    const target = connect(targetPort(), '127.0.0.1');
    sockets.add(target);
    target.on('close', () => sockets.delete(target));
    client.pipe(target).pipe(client);
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    setDown(value) {
      down = value;
      if (value) for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
