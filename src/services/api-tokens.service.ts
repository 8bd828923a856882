import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import { apiTokensRepository, type ApiTokenRow } from '../db/api-tokens.repository.js';
import { newId } from '../domain/ids.js';
import type { Principal, Role } from '../domain/roles.js';
import { NotFound } from '../errors.js';
import type { AuditService } from './audit.service.js';
import type { Clock } from './clock.js';
import { hashToken } from './users.service.js';

export type ApiTokenView = {
  id: string;
  name: string;
  roles: Role[];
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
};

const LAST_USED_PRECISION_MS = 60_000;

/** Named API tokens for integrations (issue #16): roles, optional expiry, last use, revocation that holds from the next request. */
export class ApiTokensService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(input: { name: string; roles: Role[]; expiresInDays?: number }, actor: Principal): Promise<ApiTokenView & { token: string }> {
    const token = `dlt_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const id = newId('tok', now.getTime());
    const roles = [...new Set(input.roles)];
    const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString() : null;
    await this.db.tx(async (q) => {
      await apiTokensRepository.insert(q, { id, name: input.name, roles: JSON.stringify(roles), token_hash: hashToken(token), created_by: actor.id, created_at: now.toISOString(), expires_at: expiresAt });
      await this.audit.record(q, { actorId: actor.id, action: 'token.create', subjectType: 'token', subjectId: id, details: { name: input.name, roles, expiresAt } });
    });
    return { ...this.view((await apiTokensRepository.get(this.db, id))!), token };
  }

  async list(): Promise<ApiTokenView[]> {
    return (await apiTokensRepository.list(this.db)).map((r) => this.view(r));
  }

  async revoke(id: string, actor: Principal): Promise<ApiTokenView> {
    return this.db.tx(async (q) => {
      const row = await apiTokensRepository.get(q, id);
      if (!row) throw new NotFound('token', id);
      if (await apiTokensRepository.revoke(q, id, this.clock.now().toISOString(), actor.id)) {
        await this.audit.record(q, { actorId: actor.id, action: 'token.revoke', subjectType: 'token', subjectId: id, details: { name: row.name } });
      }
      return this.view((await apiTokensRepository.get(q, id))!);
    });
  }

  /** The principal of a token hash, or null when unknown, revoked or expired. Notes the use. */
  async authenticate(tokenHash: string): Promise<Principal | null> {
    const row = await apiTokensRepository.byHash(this.db, tokenHash);
    if (!row || this.status(row) !== 'active') return null;
    const now = this.clock.now();
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_PRECISION_MS) await apiTokensRepository.touch(this.db, row.id, now.toISOString());
    return { id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[], via: 'api-token' };
  }

  private status(r: ApiTokenRow): ApiTokenView['status'] {
    if (r.revoked_at) return 'revoked';
    if (r.expires_at && this.clock.now().getTime() >= Date.parse(r.expires_at)) return 'expired';
    return 'active';
  }

  private view(r: ApiTokenRow): ApiTokenView {
    return {
      id: r.id,
      name: r.name,
      roles: JSON.parse(r.roles) as Role[],
      createdBy: r.created_by,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
      status: this.status(r),
    };
  }
}
