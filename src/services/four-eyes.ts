import type { Queryable } from '../db/database.js';
import { usersRepository } from '../db/users.repository.js';
import type { Principal } from '../domain/roles.js';
import { AppError } from '../errors.js';

/**
 * Four eyes means two people, not two accounts (issue #16). The approver must be a person (a
 * password or SSO session, or a person's own token; not an integration's API token nor the
 * operator's bootstrap token), and no account in the approver's credential chain (itself and
 * whoever created it or set its password, transitively) may be in the proposer's or a
 * reviewer's: an admin cannot approve through an account they made or whose password they set.
 */
export async function requireSecondPerson(q: Queryable, actor: Principal, others: (string | null)[]): Promise<void> {
  if (actor.via === 'api-token' || actor.via === 'operator') {
    throw new AppError(403, 'four_eyes', 'An approval must come from a person who signed in, not from an API or bootstrap token', { via: actor.via });
  }
  const mine = new Set(await usersRepository.credentialChain(q, actor.id));
  for (const other of new Set(others.filter((o): o is string => Boolean(o)))) {
    const shared = (await usersRepository.credentialChain(q, other)).filter((id) => mine.has(id));
    if (shared.length) {
      throw new AppError(403, 'four_eyes', 'Your account and the one that proposed or reviewed this disposal are controlled by the same person (one created the other, or set its password): another person must approve it', {
        sharedAccounts: shared,
      });
    }
  }
}
