import type { Server } from 'node:http';

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) lets a client that
 * reuses a connection just as the server closes it fail with a reset ("fetch failed"), which a
 * loaded machine makes likely; and behind a proxy or load balancer (60 s idle on most) the
 * server must outlast the proxy's idle timeout, or the proxy answers 502 on such a reuse.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Starts an HTTP server for the app with the keep-alive and header timeouts set as above.
 *
 *     const server = await listen(dl.app, 8080, '0.0.0.0');
 */
export async function listen(app: { listen(port: number, host: string): Server }, port: number, host: string): Promise<Server> {
  const server = app.listen(port, host);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Must exceed keepAliveTimeout, or a request arriving on a long-idle connection is cut off.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}
