/**
 * Reads a topology directory with whichever importer fits it: AWS CLI outputs
 * (`describe-*.json`) or Vigil's YAML format (`*.yaml`, `*.yml`).
 */
import { statSync } from 'node:fs';
import { importAws, isAwsSnapshot } from './aws/import.js';
import { TopologyError } from './input.js';
import type { Topology } from './model.js';
import { importYaml, yamlFiles } from './yaml/import.js';

/** Which importer reads a directory. */
export type TopologyFormat = 'aws' | 'yaml';

/** Reads the topology in `dir`, or throws a TopologyError saying what is wrong with it. */
export function loadTopology(dir: string): { format: TopologyFormat; topology: Topology } {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new TopologyError(`${dir}: no such directory`);
  }
  if (!isDir) throw new TopologyError(`${dir}: not a directory (give the directory holding the topology files)`);
  const aws = isAwsSnapshot(dir);
  const yaml = yamlFiles(dir).length > 0;
  if (aws && yaml) throw new TopologyError(`${dir}: holds both AWS describe-*.json files and YAML topology files; keep one snapshot per directory`);
  if (aws) return { format: 'aws', topology: importAws(dir) };
  if (yaml) return { format: 'yaml', topology: importYaml(dir) };
  throw new TopologyError(`${dir}: no topology: expected AWS CLI outputs (describe-instances.json, …) or YAML files (*.yaml)`);
}
