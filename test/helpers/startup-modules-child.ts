/**
 * The process of startup-modules.test.ts: records every module the ES module loader resolves
 * (a resolve hook, module.register), opens an embedded instance on the data dir given as
 * argv[2] as `npm start` would (SQLite, local objects, no mailbox, no sign-in provider), closes
 * it, and prints the packages it imported as one JSON line on stdout.
 *
 *     node --import tsx test/helpers/startup-modules-child.ts /tmp/x
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const HOOKS = `
let port;
export async function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}`;
const LAST = 'data:text/javascript,export default "startup-modules-last"';

/** The package a module URL is in (the innermost node_modules folder), scope included: `pino`, `@scope/pkg`. */
export function packageOf(url: string): string | null {
  const m = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return m ? m[1]! : null;
}

async function main(dataDir: string): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  const urls: string[] = [];
  port1.on('message', (url: string) => urls.push(url));
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, import.meta.url, { data: { port: port2 }, transferList: [port2] });
  const { loadConfig } = await import('../../src/config.js');
  const { openDossierlink } = await import('../../src/dossierlink.js');
  const dl = await openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_DEMO: 'off', DOSSIER_INBOX: 'off' }));
  await dl.close();
  // The hook thread's messages arrive in order: once the last import is seen, all before it are.
  await import(LAST);
  while (!urls.includes(LAST)) await new Promise((r) => setTimeout(r, 5));
  port1.close();
  console.log(JSON.stringify([...new Set(urls.map(packageOf).filter((p): p is string => p !== null))].sort()));
}

if (process.argv[2]) await main(process.argv[2]);
