import type { Principal } from './roles.js';

/**
 * GDPR art. 18: while a customer's processing is restricted its data may only be stored. Only
 * compliance (and admin, who may do everything) still reads the dossier, to answer the
 * customer and to lift the restriction; every other role gets 403 `restricted` on a restricted
 * customer's dossier, documents, text, files and labels, and lists, search, exports and feeds
 * leave its documents out.
 *
 *     seesRestricted({ id: 'u1', name: 'C', roles: ['crm'] })        // false
 *     seesRestricted({ id: 'u2', name: 'O', roles: ['compliance'] }) // true
 */
export function seesRestricted(p: Principal | undefined): boolean {
  return Boolean(p && (p.roles.includes('compliance') || p.roles.includes('admin')));
}

/** What a route reads, named by its path parameter; the route layer checks it before the handler runs. */
export type ReadTarget = { document: string } | { customer: string };
