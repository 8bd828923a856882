import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * The secret that keys audit hashes and signs checkpoints, never stored in the database:
 * `DOSSIER_AUDIT_KEY` when set, else `<data dir>/audit.key`, created with mode 0600 on first
 * start. Lose it and the keyed chain can no longer be verified; keep a copy where the
 * database's backups are not.
 */
export async function loadAuditKey(opts: { configured?: string; file: string; logger?: Logger }): Promise<Buffer> {
  if (opts.configured) return Buffer.from(opts.configured, 'utf8');
  try {
    const text = (await readFile(opts.file, 'utf8')).trim();
    const s = await stat(opts.file);
    if ((s.mode & 0o077) !== 0) opts.logger?.warn({ file: opts.file, mode: (s.mode & 0o777).toString(8) }, 'the audit key file can be read by others; chmod 600 it');
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${opts.file} does not hold an audit key (64 hex digits)`);
    return Buffer.from(text, 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(opts.file), { recursive: true });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process created a moment ago.
  const fh = await open(opts.file, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return null;
    throw err;
  });
  if (!fh) return loadAuditKey(opts);
  try {
    await fh.writeFile(`${key.toString('hex')}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  opts.logger?.info({ file: opts.file }, 'audit key created');
  return key;
}
