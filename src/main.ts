import type { Server } from 'node:http';
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { isEmpty, readDemoTokens, seedDemo } from './demo/demo-seed.js';
import { openDossierlink } from './dossierlink.js';
import { listen } from './http/server.js';
import { VERSION } from './version.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel });
  const dl = await openDossierlink(config, { logger });

  // A worker never seeds: the demo set is loaded once, by the process that serves it.
  if (config.demo && config.role !== 'worker' && (await isEmpty(dl))) {
    logger.info('empty data dir: loading the demo data set (DOSSIER_DEMO=off to skip)');
    await seedDemo(dl);
  }

  const server: Server = await listen(dl.app, config.port, config.host);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  logger.info({ port, dataDir: config.dataDir, objectStore: config.objectStore.kind, role: config.role, version: VERSION }, 'Dossierlink listening');

  await dl.startWorkers();
  // In the background: the first scan after a start would otherwise pay the OCR workers' start-up.
  if (config.ocrWarmUp) void dl.warmUp();

  const tokens = config.demo ? await readDemoTokens(config.dataDir) : null;
  if (tokens) {
    const lines = tokens.map((t) => `  ${t.roles.join(',').padEnd(11)} ${t.name.padEnd(36)} ${t.token}`);
    const logins = tokens.filter((t) => t.username).map((t) => `  ${t.username.padEnd(8)} ${t.password.padEnd(14)} ${t.name}`);
    process.stdout.write(
      `\nDossierlink ${VERSION} is running at http://localhost:${port}/\n` +
        (logins.length ? `Demo sign-in (username, password; also in ${config.dataDir}/demo-tokens.json):\n${logins.join('\n')}\n` : '') +
        `Demo users (bearer tokens, also in ${config.dataDir}/demo-tokens.json):\n${lines.join('\n')}\n` +
        `Try: curl -H "Authorization: Bearer ${tokens[1]?.token}" http://localhost:${port}/api/customers/KL-000123/dossier\n\n`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // A worker drains: it takes no new job, lets running ones finish within the grace period and gives the rest back.
    logger.info({ signal, role: config.role, runningJobs: dl.runner.activeJobs().length }, 'shutting down: finishing requests and jobs');
    dl.health.markDraining();
    // A worker stops claiming at once rather than after its HTTP server closed; close() below awaits the same drain.
    if (config.role === 'worker') void dl.runner.drain({ graceMs: config.shutdownGraceMs });
    const force = setTimeout(() => {
      logger.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceMs);
    force.unref();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dl.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error('Dossierlink failed to start:', err);
  process.exit(1);
});
