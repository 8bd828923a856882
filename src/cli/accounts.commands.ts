import { randomBytes } from 'node:crypto';
import { ROLES, type Principal, type Role } from '../domain/roles.js';
import { normaliseUsername } from '../services/sign-in.service.js';
import { EXIT, UsageError, type CommandContext } from './commands.js';

/** Who the audit log names for what an operator does on the command line. */
const OPERATOR: Principal = { id: 'cli', name: 'Operator (command line)', roles: ['admin'], via: 'operator' };

const write = (s: NodeJS.WritableStream, text: string) => s.write(text.endsWith('\n') ? text : `${text}\n`);

function parseRoles(list: string | undefined): Role[] {
  const roles = (list ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length || roles.length === 0) throw new UsageError(`Unknown role(s): ${unknown.join(', ') || '(none given)'}; roles are ${ROLES.join(', ')}`);
  return roles as Role[];
}

/** A password the operator passes on once; 16 characters from 96 random bits. */
const generatedPassword = () => randomBytes(12).toString('base64url');

async function createLogin(ctx: CommandContext): Promise<number> {
  const [name, roleList, username, ...rest] = ctx.args;
  if (!name || !roleList || !username || rest.length) throw new UsageError('Usage: create-login <name> <roles> <username>   (prints a generated password once)');
  const roles = parseRoles(roleList);
  const password = generatedPassword();
  const user = await (await ctx.open()).services.users.create({ name: name.trim(), roles, username, password }, OPERATOR.id);
  if (ctx.options.json) write(ctx.out, JSON.stringify({ ...user, password }));
  else write(ctx.out, `created user ${user.name} (${user.id}) with roles ${user.roles.join(', ')}\nusername: ${user.username}\npassword (shown once): ${password}`);
  return EXIT.ok;
}

async function resetPassword(ctx: CommandContext): Promise<number> {
  const [username, ...rest] = ctx.args;
  if (!username || rest.length) throw new UsageError('Usage: reset-password <username>   (prints a generated password once; signs the user out everywhere)');
  const dl = await ctx.open();
  const user = (await dl.services.users.list()).find((u) => u.username === normaliseUsername(username));
  if (!user) {
    write(ctx.err, `error: no user with username ${username}`);
    return EXIT.failed;
  }
  const password = generatedPassword();
  await dl.services.users.update(user.id, { password }, OPERATOR);
  write(ctx.out, ctx.options.json ? JSON.stringify({ id: user.id, username: user.username, password }) : `new password for ${user.username} (shown once): ${password}`);
  return EXIT.ok;
}

async function createToken(ctx: CommandContext): Promise<number> {
  const [name, roleList, ...rest] = ctx.args;
  if (!name || !roleList || rest.length) throw new UsageError('Usage: create-token <name> <roles> [--days N]   (an API token for an integration, shown once)');
  const roles = parseRoles(roleList);
  const days = ctx.options.days === undefined ? undefined : Number(ctx.options.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) throw new UsageError('--days is a whole number of days, 1 to 3650');
  const tok = await (await ctx.open()).services.apiTokens.create({ name: name.trim(), roles, expiresInDays: days }, OPERATOR);
  if (ctx.options.json) write(ctx.out, JSON.stringify(tok));
  else write(ctx.out, `created token ${tok.name} (${tok.id}) with roles ${tok.roles.join(', ')}${tok.expiresAt ? `, expires ${tok.expiresAt}` : ''}\ntoken (shown once): ${tok.token}`);
  return EXIT.ok;
}

async function listTokens(ctx: CommandContext): Promise<number> {
  if (ctx.args.length) throw new UsageError('Usage: list-tokens [--json]');
  const tokens = await (await ctx.open()).services.apiTokens.list();
  if (ctx.options.json) write(ctx.out, JSON.stringify(tokens, null, 2));
  else if (!tokens.length) write(ctx.out, 'no API tokens');
  else for (const t of tokens) write(ctx.out, `${t.id}  ${t.status.padEnd(7)}  ${t.name}  [${t.roles.join(',')}]  last used ${t.lastUsedAt ?? 'never'}${t.expiresAt ? `  expires ${t.expiresAt}` : ''}`);
  return EXIT.ok;
}

async function revokeToken(ctx: CommandContext): Promise<number> {
  const [id, ...rest] = ctx.args;
  if (!id || rest.length) throw new UsageError('Usage: revoke-token <id>');
  const t = await (await ctx.open()).services.apiTokens.revoke(id, OPERATOR);
  write(ctx.out, `token ${t.name} (${t.id}) is ${t.status}`);
  return EXIT.ok;
}

/** Account commands (issue #16): people with passwords, API tokens. */
export const ACCOUNT_COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  'create-login': createLogin,
  'reset-password': resetPassword,
  'create-token': createToken,
  'list-tokens': listTokens,
  'revoke-token': revokeToken,
};
