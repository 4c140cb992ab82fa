/**
 * `file:PATH`, or a plain file named without a scheme (a lockfile, a manifest): the file
 * alone is handed to the extractors under `/<basename>`, as if it sat at the root.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { TargetError, describeError } from '../errors.js';
import type { TargetInfo } from '../types.js';
import type { Source, WalkHandlers, WalkOptions } from '../walk.js';
import { diskRef } from './directory.js';

/** One file on disk as a {@link Source}. */
export class SingleFileSource implements Source {
  readonly target: TargetInfo;

  private constructor(
    private readonly file: string,
    private readonly size: number,
    name: string,
  ) {
    this.target = { type: 'file', name };
  }

  /** Checks that `file` is a regular file. */
  static async open(file: string, name = file): Promise<SingleFileSource> {
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      throw new TargetError(name, `cannot open file: ${describeError(err)}`);
    }
    if (!st.isFile()) throw new TargetError(name, 'not a regular file');
    return new SingleFileSource(file, st.size, name);
  }

  async walk(handlers: WalkHandlers, { limits }: WalkOptions): Promise<void> {
    const path = `/${basename(this.file)}`;
    if (!handlers.wanted(path, this.size)) {
      throw new TargetError(this.target.name, `no extractor reads a file named ${basename(this.file)}`);
    }
    if (this.size > limits.maxFileBytes) {
      throw new TargetError(this.target.name, `file is ${this.size} bytes, more than the limit of ${limits.maxFileBytes} (maxFileBytes)`);
    }
    const ref = diskRef(path, this.file, this.size, limits.maxFileBytes);
    // Auxiliary reads are not offered: a lone file has no neighbours.
    await handlers.file(ref, [], { readFile: async () => undefined });
  }

  async close(): Promise<void> {}
}
