import { randomBytes } from 'node:crypto';
import type { Client } from 'minio';
import type { Checkpoint } from '../../domain/audit-chain.js';
import { s3Client, type S3ObjectStoreConfig } from '../object-store/s3.object-store.js';
import type { CheckpointLog } from './checkpoint-log.js';

const PREFIX = 'audit-checkpoints/';

/**
 * Signed audit checkpoints as objects in the S3 bucket, one object per checkpoint, never
 * overwritten (issue #13): API and worker processes on different machines append to one log that
 * none of them keeps on its own disk. Names sort in the order written (sequence, time, random
 * tail against two processes at the same instant). The object sweep lists `sha256/` only, so it
 * never sees these; a bucket with object lock (compliance mode) makes them immutable for real.
 */
export class S3CheckpointLog implements CheckpointLog {
  private readonly client: Client;
  readonly where: string;

  constructor(private readonly cfg: Pick<S3ObjectStoreConfig, 'endPoint' | 'bucket' | 'accessKey' | 'secretKey' | 'region'>) {
    this.client = s3Client(cfg);
    this.where = `s3://${cfg.bucket}/${PREFIX}`;
  }

  async append(c: Checkpoint): Promise<void> {
    const name = `${PREFIX}${String(c.seq).padStart(12, '0')}-${c.at.replace(/[^0-9]/g, '')}-${randomBytes(4).toString('hex')}.json`;
    const body = Buffer.from(JSON.stringify(c));
    await this.client.putObject(this.cfg.bucket, name, body, body.length, { 'Content-Type': 'application/json' });
  }

  async readAll(): Promise<(Checkpoint | null)[] | 'missing'> {
    const names: string[] = [];
    const stream = this.client.listObjectsV2(this.cfg.bucket, PREFIX, true);
    for await (const item of stream as AsyncIterable<{ name?: string }>) if (item.name) names.push(item.name);
    if (names.length === 0) return 'missing';
    names.sort();
    const out: (Checkpoint | null)[] = [];
    for (const name of names) {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.client.getObject(this.cfg.bucket, name)) chunks.push(chunk as Buffer);
      try {
        out.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Checkpoint);
      } catch {
        out.push(null);
      }
    }
    return out;
  }
}
