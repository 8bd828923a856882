/**
 * A real IMAP server for tests: Debian's Dovecot, started on a free loopback port with its own
 * configuration, users and maildirs in a temp dir (nothing of the system's /etc/dovecot is read).
 * `.ci/run` installs it (apt-get install dovecot-imapd); tests skip with NO_DOVECOT without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

export const NO_DOVECOT = 'dovecot is not installed (apt-get install -y dovecot-imapd; .ci/run installs it)';

export function dovecotPath(): string | null {
  for (const p of ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot']) if (existsSync(p)) return p;
  return null;
}

export type ImapTestServer = { host: string; port: number; users: Record<string, string>; dir: string; log(): Promise<string>; stop(): Promise<void> };

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitForGreeting(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('* OK'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error('dovecot did not answer in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts Dovecot with the given users (name → password); plain IMAP on 127.0.0.1, maildir in a temp dir. */
export async function startImapServer(users: Record<string, string>): Promise<ImapTestServer> {
  const bin = dovecotPath();
  if (!bin) throw new Error(NO_DOVECOT);
  const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-imap-'));
  // Dovecot drops privileges: its own users must reach the maildirs.
  await chmod(dir, 0o755);
  for (const sub of ['run', 'state', 'mail', 'home']) {
    await mkdir(path.join(dir, sub));
    await chmod(path.join(dir, sub), 0o777);
  }
  const root = process.getuid?.() === 0;
  const me = userInfo().username;
  const port = await freePort();
  await writeFile(path.join(dir, 'passwd'), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(''));
  // Dovecot's auth process (its own user when run as root) reads it, whatever umask the app under test set.
  await chmod(path.join(dir, 'passwd'), 0o644);
  await writeFile(
    path.join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
default_internal_user = ${root ? 'dovecot' : me}
default_login_user = ${root ? 'dovenull' : me}
first_valid_uid = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${root ? 'dovecot' : process.getuid?.()} gid=${root ? 'dovecot' : process.getgid?.()} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const child = spawn(bin, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const log = async () => output + (await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => ''));
  try {
    await waitForGreeting(port, child, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${await log()}`);
  }
  return {
    host: '127.0.0.1',
    port,
    users,
    dir,
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
