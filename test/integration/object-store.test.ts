// postgres-pass: skip (the object stores alone, no database)
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'minio';
import { Invalid, NotFound } from '../../src/errors.js';
import { LocalObjectStore } from '../../src/adapters/object-store/local.object-store.js';
import { S3ObjectStore } from '../../src/adapters/object-store/s3.object-store.js';
import { createObjectStore } from '../../src/adapters/object-store/create-object-store.js';
import { objectKey, type ObjectStore } from '../../src/adapters/object-store/object-store.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

const MiB = 1024 * 1024;
const LARGE_SIZE = 64 * MiB;
/** A 64 MiB object buffered whole would add at least 64 MiB; one part buffer plus GC lag stays far below. */
const MAX_RSS_GROWTH = 40 * MiB;

/** What the contract needs from each implementation: a ready store and a way to count what it holds. */
type Harness = { store: ObjectStore; countObjects(): Promise<number> };

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

let scratch: string;
let large: { path: string; sha256: string };

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'dossierlink-object-store-'));
  large = await writeLargeFile(join(scratch, 'large.bin'), LARGE_SIZE);
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The behaviour every ObjectStore must have, whatever its backend. */
function contract(name: string, makeStore: () => Promise<Harness>): void {
  describe(name, () => {
    let h: Harness;
    before(async () => {
      h = await makeStore();
    });

    it('given bytes, when put and read back by hash, then the same bytes come out', async () => {
      const bytes = Buffer.from(`dossier letter ${randomBytes(8).toString('hex')}`);
      const put = await h.store.putBuffer(bytes, { contentType: 'text/plain' });
      assert.deepEqual(await h.store.getBuffer(put.sha256), bytes);
      assert.deepEqual(await readAll(await h.store.getStream(put.sha256)), bytes);
      assert.deepEqual(await h.store.stat(put.sha256), { size: bytes.length });
    });

    it('given a file, when put, then its key is the real sha256 of its bytes', async () => {
      const bytes = randomBytes(70_000);
      const path = join(scratch, `${name}-file.bin`);
      await writeFile(path, bytes);
      const put = await h.store.putFile(path, { contentType: 'application/pdf' });
      assert.deepEqual(put, { sha256: sha(bytes), size: bytes.length, created: true });
      assert.equal(sha(await h.store.getBuffer(put.sha256)), sha(bytes));
    });

    it('given stored bytes, when put again as buffer and as file, then created is false and one object exists', async () => {
      const bytes = randomBytes(1000);
      const path = join(scratch, `${name}-dup.bin`);
      await writeFile(path, bytes);
      const countBefore = await h.countObjects();
      assert.equal((await h.store.putBuffer(bytes)).created, true);
      assert.deepEqual(await h.store.putBuffer(bytes), { sha256: sha(bytes), size: 1000, created: false });
      assert.deepEqual(await h.store.putFile(path), { sha256: sha(bytes), size: 1000, created: false });
      assert.equal(await h.countObjects(), countBefore + 1);
    });

    it('given an empty body, when put, then it round-trips as zero bytes', async () => {
      const put = await h.store.putBuffer(Buffer.alloc(0));
      assert.equal(put.sha256, sha(''));
      assert.equal((await h.store.getBuffer(put.sha256)).length, 0);
      assert.deepEqual(await h.store.stat(put.sha256), { size: 0 });
    });

    it('given a 64 MiB file, when put and streamed back, then hashes match and memory stays flat', async (t) => {
      const peak = watchRss();
      const put = await h.store.putFile(large.path);
      const readBack = await hashStream(await h.store.getStream(put.sha256));
      const growth = peak.stop();
      assert.deepEqual(put, { sha256: large.sha256, size: LARGE_SIZE, created: true });
      assert.equal(readBack, large.sha256);
      assert.deepEqual(await h.store.stat(large.sha256), { size: LARGE_SIZE });
      assert.ok(growth < MAX_RSS_GROWTH, `rss grew ${(growth / MiB).toFixed(1)} MiB`);
      t.diagnostic(`64 MiB put+get, peak rss growth ${(growth / MiB).toFixed(1)} MiB`);
    });

    it('given a missing hash, when read, then NotFound; when stat, then null', async () => {
      const missing = sha('never stored');
      await assert.rejects(h.store.getStream(missing), NotFound);
      await assert.rejects(h.store.getBuffer(missing), NotFound);
      assert.equal(await h.store.stat(missing), null);
    });

    it('given a stored object, when deleted twice, then it is gone and the second delete is a no-op', async () => {
      const put = await h.store.putBuffer(Buffer.from('to be disposed'));
      await h.store.delete(put.sha256);
      assert.equal(await h.store.stat(put.sha256), null);
      await h.store.delete(put.sha256);
      await h.store.delete(sha('never stored either'));
      await assert.rejects(h.store.getBuffer(put.sha256), NotFound);
    });

    it('given stored objects, when listed, then each appears once with its size and a recent store time, and deleted ones do not', async () => {
      const kept = await h.store.putBuffer(Buffer.from(`listed ${name} one`));
      const other = await h.store.putBuffer(Buffer.from(`listed ${name} two, longer`));
      const gone = await h.store.putBuffer(Buffer.from(`listed ${name} deleted`));
      await h.store.delete(gone.sha256);
      const listed = new Map<string, { size: number; touchedAt: Date }>();
      for await (const o of h.store.list()) {
        assert.ok(!listed.has(o.sha256), 'listed once');
        listed.set(o.sha256, o);
      }
      assert.equal(listed.size, await h.countObjects());
      assert.equal(listed.get(kept.sha256)?.size, kept.size);
      assert.equal(listed.get(other.sha256)?.size, other.size);
      assert.ok(!listed.has(gone.sha256));
      const age = Date.now() - listed.get(kept.sha256)!.touchedAt.getTime();
      assert.ok(age >= -5_000 && age < 120_000, `stored ${age} ms ago`);
    });

    it('given strings that are not lowercase sha256 hex, when used as keys, then every call rejects with Invalid', async () => {
      const good = sha('x');
      const bad = ['../etc/passwd', good.toUpperCase(), good.slice(0, 63), `${good}0`, `../${good.slice(3)}`, '', `${good.slice(0, 63)}/`];
      for (const key of bad) {
        await assert.rejects(h.store.getStream(key), Invalid, `getStream ${key}`);
        await assert.rejects(h.store.getBuffer(key), Invalid, `getBuffer ${key}`);
        await assert.rejects(h.store.stat(key), Invalid, `stat ${key}`);
        await assert.rejects(h.store.delete(key), Invalid, `delete ${key}`);
      }
    });
  });
}

contract(LocalObjectStore.name, async () => {
  const root = join(scratch, 'local');
  const store = await createObjectStore({ kind: 'local', root });
  assert.ok(store instanceof LocalObjectStore, 'store instanceof LocalObjectStore');
  await store.init();
  return { store, countObjects: async () => (await listFiles(join(root, 'sha256'))).length };
});

let s3: S3TestServer | undefined;
after(async () => {
  await s3?.stop();
});

contract(S3ObjectStore.name, async () => {
  s3 = await startS3Server();
  const cfg = { endPoint: s3.endPoint, bucket: 'dossiers-contract', accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1' };
  const store = await createObjectStore({ kind: 's3', ...cfg });
  assert.ok(store instanceof S3ObjectStore, 'store instanceof S3ObjectStore');
  await store.init();
  const client = minioFor(s3);
  return {
    store,
    countObjects: async () => {
      let n = 0;
      for await (const _ of client.listObjectsV2(cfg.bucket, '', true)) n++;
      return n;
    },
  };
});

describe(`${S3ObjectStore.name} bucket`, () => {
  it('given a bucket that does not exist, when init runs twice, then the bucket exists and objects can be stored', async () => {
    assert.ok(s3, 'the S3 contract suite starts the server');
    const client = minioFor(s3);
    const bucket = `fresh-${randomBytes(4).toString('hex')}`;
    assert.equal(await client.bucketExists(bucket), false);
    const store = new S3ObjectStore({ endPoint: s3.endPoint, bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1' });
    await store.init();
    await store.init();
    assert.equal(await client.bucketExists(bucket), true);
    const put = await store.putBuffer(Buffer.from('first document'));
    assert.equal(put.created, true);
  });

  it('given a file larger than one part, when put, then it is stored in several parts under its hash', async () => {
    assert.ok(s3, 's3');
    const store = new S3ObjectStore({ endPoint: s3.endPoint, bucket: 'dossiers-contract', accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1', partSize: 5 * MiB });
    const bytes = randomBytes(11 * MiB + 123);
    const path = join(scratch, 'three-parts.bin');
    await writeFile(path, bytes);
    const put = await store.putFile(path);
    assert.deepEqual(put, { sha256: sha(bytes), size: bytes.length, created: true });
    assert.equal(sha(await store.getBuffer(put.sha256)), sha(bytes));
  });
});

describe(`${LocalObjectStore.name} on disk`, () => {
  let root: string;
  let store: LocalObjectStore;
  before(async () => {
    root = join(scratch, 'local-disk');
    store = new LocalObjectStore({ root });
    await store.init();
  });

  it('given a temp file left by a crash, when init runs, then old temp files are removed and never become objects', async () => {
    const crashed = Buffer.from('half a scan');
    const stale = join(root, 'tmp', 'crashed.part');
    const fresh = join(root, 'tmp', 'in-flight.part');
    await writeFile(stale, crashed);
    await writeFile(fresh, 'another writer is busy');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    await store.init();
    await assert.rejects(stat(stale), { code: 'ENOENT' });
    await stat(fresh);
    assert.equal(await store.stat(sha(crashed)), null);
  });

  it('given a stored object, when the same bytes are put again, then the file is read-only and untouched', async () => {
    const bytes = Buffer.from('signed contract');
    const put = await store.putBuffer(bytes);
    const path = join(root, objectKey(put.sha256));
    const first = await stat(path);
    assert.equal(first.mode & 0o777, 0o444);
    const path2 = join(scratch, 'again.bin');
    await writeFile(path2, bytes);
    assert.equal((await store.putFile(path2)).created, false);
    const second = await stat(path);
    assert.equal(second.ino, first.ino);
    assert.equal(second.mtimeMs, first.mtimeMs);
    assert.deepEqual(await readdir(join(root, 'tmp')).then((n) => n.filter((f) => f !== 'in-flight.part')), []);
    // root ignores permission bits, so the write attempt only proves something for other users.
    if (process.getuid?.() !== 0) await assert.rejects(open(path, 'r+'), { code: 'EACCES' });
  });

  it('given objects under the same hash prefix, when listed on disk, then they fan out as sha256/ab/cd/<sha>', async () => {
    const put = await store.putBuffer(Buffer.from('fan-out'));
    const files = await listFiles(join(root, 'sha256'));
    assert.ok(files.includes(join(root, 'sha256', put.sha256.slice(0, 2), put.sha256.slice(2, 4), put.sha256)), 'files.includes(join(root, \'sha256\', put.sha256.slice(0, 2), put.sha256.slice(2, 4), put.sha256))');
  });
});

/** Writes `size` pseudo-random bytes chunk by chunk, hashing as it goes, so the test itself stays small in memory. */
async function writeLargeFile(path: string, size: number): Promise<{ path: string; sha256: string }> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const seed = randomBytes(MiB);
  for (let i = 0; i < size / MiB; i++) {
    // Vary each MiB so parts differ; identical chunks would hide part-ordering mistakes.
    const chunk = Buffer.from(seed);
    chunk.writeUInt32BE(i, 0);
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { path, sha256: hash.digest('hex') };
}

/** Samples rss while an operation runs; stop() returns the peak growth over the starting value. */
function watchRss(): { stop(): number } {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return peak - start;
    },
  };
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function hashStream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function minioFor(server: S3TestServer): Client {
  const url = new URL(server.endPoint);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: server.accessKey, secretKey: server.secretKey, region: 'us-east-1' });
}
