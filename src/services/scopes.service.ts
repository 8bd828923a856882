import type { Database, Queryable } from '../db/database.js';
import { settingsRepository } from '../db/settings.repository.js';
import { SCOPE_IDS, SCOPES } from '../domain/classification.js';

/** The active CRM scopes, kept in the database so every process and restart agrees. */
export class ScopesService {
  constructor(
    private readonly db: Database,
    private readonly defaults: string[],
  ) {}

  available() {
    return SCOPES;
  }

  async active(q: Queryable = this.db): Promise<string[]> {
    return (await settingsRepository.get<string[]>(q, 'scopes.active')) ?? this.defaults.filter((s) => SCOPE_IDS.includes(s as never));
  }

  async setActive(q: Queryable, scopes: string[]): Promise<void> {
    await settingsRepository.set(q, 'scopes.active', [...new Set(scopes)]);
  }
}
