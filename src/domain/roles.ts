export const ROLES = ['mailroom', 'crm', 'compliance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Principal = { id: string; name: string; roles: Role[]; via?: AuthVia };

/**
 * How a principal proved who it is (issue #16): a person's password or single sign-on session,
 * a person's own bearer token, an integration's API token, or the operator (bootstrap token, CLI).
 */
export type AuthVia = 'password' | 'sso' | 'user-token' | 'api-token' | 'operator';

/** Admin may do everything; otherwise the principal needs one of the allowed roles. */
export function mayAct(principal: Principal, allowed: readonly Role[] | 'any'): boolean {
  if (principal.roles.includes('admin')) return true;
  if (allowed === 'any') return true;
  return principal.roles.some((r) => allowed.includes(r));
}
