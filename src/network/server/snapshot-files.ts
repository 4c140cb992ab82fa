/**
 * A topology snapshot as the server receives and keeps it: the importer's input files by
 * name (AWS `describe-*.json` outputs, or YAML files and the host reports they name). The
 * importers read directories, so a snapshot is analysed by writing its files into a private
 * temporary directory: the API and a scheduled directory import then go through exactly the
 * importer `vigil network analyze` uses.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from '../input.js';
import { loadTopology, type TopologyFormat } from '../load.js';
import type { Topology } from '../model.js';

/** File name → file text. */
export type SnapshotFiles = Record<string, string>;

/** Limits on a snapshot: a describe-instances.json of a large account is tens of MB. */
export const SNAPSHOT_LIMITS = { files: 2000, totalBytes: 64 * 1024 * 1024 } as const;

/** File names a snapshot may hold: plain names (no directories, no dot files) of the importers' kinds. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}\.(json|ya?ml)$/;

/**
 * Checks a snapshot's files (names, count, size) and turns JSON values given as objects
 * (an API body may carry `describe-instances.json` parsed) into text. Throws a TopologyError
 * naming the bad file.
 */
export function normaliseFiles(input: Record<string, unknown>): SnapshotFiles {
  const names = Object.keys(input);
  if (names.length === 0) throw new TopologyError('files: a snapshot needs at least one file');
  if (names.length > SNAPSHOT_LIMITS.files) throw new TopologyError(`files: ${names.length} files; at most ${SNAPSHOT_LIMITS.files}`);
  const out: SnapshotFiles = {};
  let total = 0;
  for (const name of names.sort()) {
    if (!FILE_NAME.test(name)) throw new TopologyError(`files.${name}: not a snapshot file name (a plain name ending .json, .yaml or .yml)`);
    const value = input[name];
    let text: string;
    if (typeof value === 'string') text = value;
    else if (value !== null && typeof value === 'object' && name.endsWith('.json')) text = JSON.stringify(value);
    else throw new TopologyError(`files.${name}: expected the file's text${name.endsWith('.json') ? ' or its JSON value' : ''}`);
    total += Buffer.byteLength(text);
    if (total > SNAPSHOT_LIMITS.totalBytes) throw new TopologyError(`files: more than ${SNAPSHOT_LIMITS.totalBytes} bytes in all`);
    out[name] = text;
  }
  return out;
}

/** SHA-256 of a snapshot's files (names and texts), to recognise an unchanged directory. */
export function snapshotDigest(files: SnapshotFiles): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(name).update('\u0000').update(files[name]!).update('\u0000');
  return h.digest('hex');
}

/** Imports a snapshot's files with the importer that fits them. Throws a TopologyError naming the file and field. */
export function importSnapshot(files: SnapshotFiles): { format: TopologyFormat; topology: Topology } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-snapshot-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    try {
      return loadTopology(dir);
    } catch (err) {
      // The temporary directory means nothing to the sender: name the files as sent.
      if (err instanceof TopologyError) throw new TopologyError(err.message.split(dir).join('the snapshot'));
      throw err;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a snapshot directory's importer files (a scheduled import). */
export function readSnapshotDir(dir: string): SnapshotFiles {
  const files: Record<string, unknown> = {};
  for (const name of readdirSync(dir)) {
    if (!FILE_NAME.test(name)) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    files[name] = readFileSync(path, 'utf8');
  }
  return normaliseFiles(files);
}
