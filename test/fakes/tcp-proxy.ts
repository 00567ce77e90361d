/**
 * A TCP proxy on loopback in front of a real server (PostgreSQL in the fault suite), which can cut the
 * line. `outage('refuse')` resets every open connection and every new one at once, as a server that
 * went away does; `outage('silence')` keeps connections open but lets no byte through, as a network
 * partition does (only timeouts end a wait then). `restore()` lets traffic through again.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export type OutageKind = 'refuse' | 'silence';

export interface TcpProxy {
  port: number;
  /** The current outage, if any. */
  readonly down: OutageKind | undefined;
  /** Connections accepted (each one a pg session the client tried to open). */
  readonly accepted: number;
  /** Connections reset or swallowed because of an outage. */
  readonly refused: number;
  outage(kind: OutageKind): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let down: OutageKind | undefined;
  let accepted = 0;
  let refused = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const swallowed = new Set<Socket>();

  const server: Server = createServer((client) => {
    accepted++;
    if (down) return cut(client);
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });

  function cut(client: Socket): void {
    refused++;
    client.on('error', () => undefined);
    if (down === 'refuse') client.resetAndDestroy();
    else {
      // Accepted, then never answered: the client's connect timeout is all that ends its wait.
      client.pause();
      swallowed.add(client);
      client.on('close', () => swallowed.delete(client));
    }
  }

  function restore(): void {
    down = undefined;
    // A partition that heals leaves the stalled sessions broken on both ends; close them.
    for (const socket of swallowed) socket.destroy();
    swallowed.clear();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get down() {
      return down;
    },
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    outage(kind) {
      down = kind;
      for (const pair of pairs) {
        if (kind === 'refuse') {
          pair.client.resetAndDestroy();
          pair.upstream.destroy();
        } else {
          // Bytes already in flight stay where they are; nothing more moves in either direction.
          pair.client.unpipe(pair.upstream);
          pair.upstream.unpipe(pair.client);
          pair.client.pause();
          pair.upstream.pause();
          swallowed.add(pair.client);
          swallowed.add(pair.upstream);
        }
      }
      if (kind === 'silence') pairs.clear();
    },
    restore,
    async close() {
      restore();
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
