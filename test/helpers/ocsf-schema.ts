/**
 * Checks an event against OCSF schema files (ocsf/ocsf-schema layout: events/…, objects/…):
 * the class's required attributes through its `extends` chain, enum values the files list,
 * attributes no file of the chain declares, and the same for nested objects whose files are
 * present. Attribute types live in the schema's dictionary, which is not among the files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface AttributeSpec {
  requirement?: string;
  enum?: Record<string, unknown>;
}
interface SchemaFile {
  name: string;
  extends?: string;
  uid?: number;
  attributes: Record<string, AttributeSpec | string[]>;
  constraints?: { at_least_one?: string[]; just_one?: string[] };
}

/** The attributes of a class or object, its own over those it extends. */
export interface Resolved {
  names: string[];
  /** The class's own uid within its category (events only). */
  uid?: number;
  attributes: Map<string, AttributeSpec>;
  atLeastOne: string[][];
  /** False when a file of the chain is missing: unknown attributes cannot be told then. */
  complete: boolean;
}

/** Which object each object-valued attribute holds (from the OCSF dictionary's types). */
export const OBJECT_ATTRIBUTES: Record<string, { object: string; array: boolean }> = {
  metadata: { object: 'metadata', array: false },
  product: { object: 'product', array: false },
  finding_info: { object: 'finding_info', array: false },
  vulnerabilities: { object: 'vulnerability', array: true },
  cve: { object: 'cve', array: false },
  cvss: { object: 'cvss', array: true },
  affected_packages: { object: 'affected_package', array: true },
  resources: { object: 'resource_details', array: true },
};

function load(root: string, dir: string, name: string): SchemaFile | undefined {
  const candidates = dir === 'events' ? [join(root, 'events', 'findings', `${name}.json`), join(root, 'events', `${name}.json`)] : [join(root, 'objects', `${name}.json`)];
  const file = candidates.find((p) => existsSync(p));
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as SchemaFile) : undefined;
}

/** Resolves a class (`events`) or object (`objects`) through its `extends` chain. */
export function resolve(root: string, dir: 'events' | 'objects', name: string): Resolved {
  const chain: SchemaFile[] = [];
  let complete = true;
  for (let n: string | undefined = name; n && n !== 'object'; ) {
    const file = load(root, dir, n);
    if (!file) {
      complete = false;
      break;
    }
    chain.unshift(file);
    n = file.extends;
  }
  const attributes = new Map<string, AttributeSpec>();
  const atLeastOne: string[][] = [];
  for (const file of chain) {
    for (const [k, v] of Object.entries(file.attributes)) if (k !== '$include' && !Array.isArray(v)) attributes.set(k, { ...attributes.get(k), ...v });
    if (file.constraints?.at_least_one) atLeastOne.push(file.constraints.at_least_one);
  }
  return { names: chain.map((c) => c.name), uid: chain.at(-1)?.uid, attributes, atLeastOne, complete };
}

/** Problems of `value` as the class or object `name`; empty when none. */
export function validateOcsf(root: string, dir: 'events' | 'objects', name: string, value: unknown, path = '$'): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object (${name})`];
  const spec = resolve(root, dir, name);
  const obj = value as Record<string, unknown>;
  const errors: string[] = [];
  // The base event lists only class 0 and category 0; a class's own ids come from its uid and category.
  const classIds = dir === 'events' ? ['class_uid', 'category_uid', 'type_uid'] : [];
  if (dir === 'events' && spec.uid !== undefined) {
    if (obj.class_uid !== Number(obj.category_uid) * 1000 + spec.uid) errors.push(`${path}.class_uid: ${String(obj.class_uid)} is not category_uid × 1000 + ${spec.uid}`);
    if (obj.type_uid !== Number(obj.class_uid) * 100 + Number(obj.activity_id)) errors.push(`${path}.type_uid: ${String(obj.type_uid)} is not class_uid × 100 + activity_id`);
  }
  for (const [k, a] of spec.attributes) {
    if (a.requirement === 'required' && obj[k] === undefined) errors.push(`${path}.${k}: required by ${spec.names.join(' < ')}`);
    if (classIds.includes(k)) continue;
    if (a.enum && obj[k] !== undefined && !(String(obj[k]) in a.enum)) errors.push(`${path}.${k}: ${JSON.stringify(obj[k])} is not among ${Object.keys(a.enum).join(', ')}`);
  }
  for (const group of spec.atLeastOne) if (!group.some((k) => obj[k] !== undefined)) errors.push(`${path}: needs at least one of ${group.join(', ')} (${name})`);
  for (const [k, v] of Object.entries(obj)) {
    if (spec.complete && !spec.attributes.has(k)) errors.push(`${path}.${k}: not an attribute of ${name}`);
    const nested = OBJECT_ATTRIBUTES[k];
    if (!nested || v === undefined) continue;
    if (nested.array !== Array.isArray(v)) {
      errors.push(`${path}.${k}: expected ${nested.array ? 'an array' : 'an object'} of ${nested.object}`);
      continue;
    }
    const items = nested.array ? (v as unknown[]) : [v];
    items.forEach((item, i) => errors.push(...validateOcsf(root, 'objects', nested.object, item, nested.array ? `${path}.${k}[${i}]` : `${path}.${k}`)));
  }
  return errors;
}
