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
  if (opts.configured) return parseAuditKey(opts.configured);
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

/**
 * The key in `DOSSIER_AUDIT_KEY`: its UTF-8 bytes, or with a `hex:` prefix the bytes the hex
 * digits spell. The prefix lets processes on PostgreSQL use the key a data dir's `audit.key`
 * file holds (random bytes, written as hex), so a migrated audit log still verifies (issue #13).
 *
 *     parseAuditKey(`hex:${(await readFile('storage/audit.key', 'utf8')).trim()}`)
 */
export function parseAuditKey(configured: string): Buffer {
  const hex = /^hex:([0-9a-fA-F]{64})$/.exec(configured.trim());
  return hex ? Buffer.from(hex[1]!, 'hex') : Buffer.from(configured, 'utf8');
}

/** The key a data dir's `audit.key` file holds, or null when there is none; never creates one. */
export async function readAuditKeyFile(file: string): Promise<Buffer | null> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
