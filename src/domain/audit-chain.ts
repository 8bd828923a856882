import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed fields of an audit event, in the order the chain covers them. */
export type ChainedEvent = {
  at: string;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  customer_id: string | null;
  details: string;
};

/**
 * The hash of an event, chained to the previous one. With a key it is an HMAC-SHA256: whoever
 * can write the database but has not got the key cannot compute a valid hash for an edited
 * event, nor recompute the rest of the chain. Without a key (events from before keying
 * started) it is the plain SHA-256 the first version wrote.
 *
 *     eventHash(GENESIS_HASH, row, key) // '3f9a…' (64 hex)
 */
export function eventHash(prevHash: string, r: ChainedEvent, key?: Buffer): string {
  const content = JSON.stringify([r.at, r.actor_id, r.action, r.subject_type, r.subject_id, r.customer_id, r.details]);
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  return h.update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * A signed checkpoint: "event `seq` had hash `hash`", kept outside the database. `genesis` is
 * the first one, written when keying starts; it records from which event hashes are keyed
 * (`keyedFrom`) and pins the unkeyed chain before it.
 */
export type Checkpoint = { kind: 'genesis' | 'checkpoint'; seq: number; hash: string; keyedFrom: number; at: string; keyId: string; mac: string };

export function keyId(key: Buffer): string {
  return createHash('sha256').update('dossierlink-audit-key-id\n').update(key).digest('hex').slice(0, 16);
}

function checkpointMac(key: Buffer, c: Omit<Checkpoint, 'mac'>): string {
  return createHmac('sha256', key).update(JSON.stringify(['dossierlink-audit-checkpoint', c.kind, c.seq, c.hash, c.keyedFrom, c.at, c.keyId])).digest('hex');
}

export function signCheckpoint(key: Buffer, c: Omit<Checkpoint, 'mac' | 'keyId'>): Checkpoint {
  const unsigned = { ...c, keyId: keyId(key) };
  return { ...unsigned, mac: checkpointMac(key, unsigned) };
}

export function checkpointValid(key: Buffer, c: Checkpoint): boolean {
  if (typeof c?.mac !== 'string' || !/^[0-9a-f]{64}$/.test(c.mac)) return false;
  const expected = Buffer.from(checkpointMac(key, c), 'hex');
  return timingSafeEqual(expected, Buffer.from(c.mac, 'hex'));
}
