import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import { usersRepository } from '../db/users.repository.js';
import { newId } from '../domain/ids.js';
import type { Principal, Role } from '../domain/roles.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Users and their bearer tokens. Tokens are shown once, at creation; only their hash is stored. */
export class UsersService {
  private readonly adminTokenHash?: Buffer;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    adminToken?: string,
  ) {
    if (adminToken) this.adminTokenHash = Buffer.from(hashToken(adminToken), 'hex');
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (!token) return null;
    const h = hashToken(token);
    if (this.adminTokenHash && timingSafeEqual(this.adminTokenHash, Buffer.from(h, 'hex'))) {
      return { id: 'admin-token', name: 'Bootstrap admin', roles: ['admin'] };
    }
    const row = await usersRepository.byTokenHash(this.db, h);
    return row ? { id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[] } : null;
  }

  async create(input: { name: string; roles: Role[] }, actorId: string | null): Promise<Principal & { token: string }> {
    const token = `dl_${randomBytes(24).toString('base64url')}`;
    const id = newId('usr', this.clock.now().getTime());
    const roles = [...new Set(input.roles)];
    await this.db.tx(async (q) => {
      await usersRepository.insert(q, { id, name: input.name, roles, tokenHash: hashToken(token), now: nowIso(this.clock) });
      await this.audit.record(q, { actorId, action: 'user.create', subjectType: 'user', subjectId: id, details: { roles } });
    });
    return { id, name: input.name, roles, token };
  }

  async get(id: string): Promise<Principal | null> {
    const row = await usersRepository.get(this.db, id);
    return row ? { id: row.id, name: row.name, roles: JSON.parse(row.roles) as Role[] } : null;
  }

  async list(): Promise<Principal[]> {
    return (await usersRepository.list(this.db)).map((r) => ({ id: r.id, name: r.name, roles: JSON.parse(r.roles) as Role[] }));
  }
}
