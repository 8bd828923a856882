import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Checkpoint } from '../../domain/audit-chain.js';

/**
 * Where signed audit checkpoints live, outside the database. Append-only by contract: a
 * checkpoint once written is never rewritten. The file log is the embedded default; an object
 * store (S3 with object lock, one object per checkpoint) fits the same two calls.
 */
export interface CheckpointLog {
  append(c: Checkpoint): Promise<void>;
  /** Every checkpoint in the order written; a line that is not a checkpoint comes back as `null`. */
  readAll(): Promise<(Checkpoint | null)[] | 'missing'>;
  readonly where: string;
}

/** One JSON line per checkpoint in a file opened for appending only. */
export class FileCheckpointLog implements CheckpointLog {
  constructor(readonly where: string) {}

  async append(c: Checkpoint): Promise<void> {
    await mkdir(path.dirname(this.where), { recursive: true });
    // One write of one short line with O_APPEND: concurrent writers (the server and the CLI) do not interleave.
    await appendFile(this.where, `${JSON.stringify(c)}\n`, { mode: 0o600, flag: 'a' });
  }

  async readAll(): Promise<(Checkpoint | null)[] | 'missing'> {
    let text: string;
    try {
      text = await readFile(this.where, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw err;
    }
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        try {
          return JSON.parse(l) as Checkpoint;
        } catch {
          return null;
        }
      });
  }
}
