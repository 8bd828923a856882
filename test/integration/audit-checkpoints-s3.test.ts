// postgres-pass: skip (the checkpoint log on S3 alone, no database)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'minio';
import { S3CheckpointLog } from '../../src/adapters/audit/s3-checkpoint-log.js';
import { S3ObjectStore } from '../../src/adapters/object-store/s3.object-store.js';
import { signCheckpoint } from '../../src/domain/audit-chain.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

const KEY = Buffer.from('a-key-of-at-least-thirty-two-characters', 'utf8');

describe(S3CheckpointLog.name, () => {
  let s3: S3TestServer;
  const cfg = () => ({ endPoint: s3.endPoint, bucket: 'checkpoints-test', accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1' });

  before(async () => {
    s3 = await startS3Server();
    await new S3ObjectStore(cfg()).init();
  });
  after(async () => s3?.stop());

  it('given an empty bucket, when the log is read, then it is missing (verify reports that, it does not pass)', async () => {
    assert.equal(await new S3CheckpointLog(cfg()).readAll(), 'missing');
  });

  it('given checkpoints appended by two processes, when read, then every one comes back in sequence order, and the object sweep never lists them', async () => {
    const a = new S3CheckpointLog(cfg());
    const b = new S3CheckpointLog(cfg());
    const cp = (seq: number) => signCheckpoint(KEY, { kind: seq === 0 ? 'genesis' : 'checkpoint', seq, hash: `h${seq}`, keyedFrom: 1, at: `2026-11-30T10:00:0${seq}.000Z` });
    await Promise.all([a.append(cp(0)), b.append(cp(2)), a.append(cp(1)), b.append(cp(11))]);
    const read = await new S3CheckpointLog(cfg()).readAll();
    assert.notEqual(read, 'missing');
    assert.deepEqual((read as { seq: number }[]).map((c) => c.seq), [0, 1, 2, 11]);
    const listed = [];
    for await (const o of new S3ObjectStore(cfg()).list()) listed.push(o);
    assert.equal(listed.length, 0);
  });

  it('given an object in the log that is not a checkpoint, when read, then it comes back as null for verify to flag', async () => {
    const url = new URL(s3.endPoint);
    const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1' });
    await client.putObject('checkpoints-test', 'audit-checkpoints/999999999999-x.json', Buffer.from('not json'));
    const read = (await new S3CheckpointLog(cfg()).readAll()) as unknown[];
    assert.equal(read.at(-1), null);
  });
});
