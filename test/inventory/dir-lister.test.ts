/**
 * The directory walk's lister runs its own depth-first listing ahead of the walk: every listing
 * the walk gets is the directory's entries in name order, whether fetched ahead or listed on
 * the spot, and a directory the walk will not enter is never listed, nor anything under it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirLister } from '../../src/inventory/sources/dir-lister.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vigil-dir-lister-'));
  // Three levels of four directories, each with files, names created out of order.
  for (const a of ['d', 'b', 'c', 'a']) {
    for (const b of ['z', 'x', 'y', 'w']) {
      for (const c of ['3', '1', '2', '0']) {
        mkdirSync(join(root, a, b, c), { recursive: true });
        writeFileSync(join(root, a, b, c, 'f'), '');
      }
      writeFileSync(join(root, a, b, 'g'), '');
    }
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Walks the tree depth first as the directory source does, returning each listing seen. */
async function walk(lister: DirLister, enter: (path: string) => boolean): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  const visit = async (path: string): Promise<void> => {
    const entries = await lister.list(path);
    seen.set(path, entries.map((d) => d.name));
    for (const d of entries) if (d.isDirectory() && enter(`${path}/${d.name}`)) await visit(`${path}/${d.name}`);
  };
  await visit('');
  lister.close();
  return seen;
}

describe('directory lister', () => {
  it('hands the walk every directory it enters, entries in name order, as readdir lists them', async () => {
    const seen = await walk(new DirLister(root, () => true), () => true);
    expect(seen.size).toBe(1 + 4 + 16 + 64);
    for (const [path, names] of seen) expect(names).toEqual(readdirSync(join(root, path)).sort());
  });

  it('never lists a directory the walk will not enter, nor asks about what it holds', async () => {
    const asked: string[] = [];
    const enter = (path: string): boolean => !path.startsWith('/b/x');
    const seen = await walk(
      new DirLister(root, (path) => {
        asked.push(path);
        return enter(path);
      }),
      enter,
    );
    expect(asked).toContain('/b/x');
    expect(asked.filter((p) => p.startsWith('/b/x/'))).toEqual([]);
    expect([...seen.keys()].filter((p) => p.startsWith('/b/x'))).toEqual([]);
    expect(seen.size).toBe(1 + 4 + 15 + 60);
  });

  it('lists on the spot when it may not list ahead', async () => {
    const seen = await walk(new DirLister(root, undefined), () => true);
    expect(seen.get('/a/w')).toEqual(['0', '1', '2', '3', 'g']);
  });

  it('throws as readdir does for a directory that is gone', async () => {
    await expect(new DirLister(root, () => true).list('/missing')).rejects.toThrow(/ENOENT/);
  });
});
