export const ROLES = ['mailroom', 'crm', 'compliance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Principal = { id: string; name: string; roles: Role[] };

/** Admin may do everything; otherwise the principal needs one of the allowed roles. */
export function mayAct(principal: Principal, allowed: readonly Role[] | 'any'): boolean {
  if (principal.roles.includes('admin')) return true;
  if (allowed === 'any') return true;
  return principal.roles.some((r) => allowed.includes(r));
}
