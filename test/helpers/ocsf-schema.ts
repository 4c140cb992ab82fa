/**
 * Checks an event against OCSF schema files (ocsf/ocsf-schema layout: dictionary.json,
 * events/…, objects/…): the class's required attributes through its `extends` chain, enum
 * values the files list, attributes no file of the chain declares, and every attribute's type
 * from the dictionary (scalars through the dictionary's `types`, `datetime_t` → `string_t`,
 * `timestamp_t` → `long_t`…, with their regex, length and range; arrays; objects, checked in
 * turn as their object). An attribute the dictionary does not type is an error.
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

interface DictionaryAttribute {
  type: string;
  is_array?: boolean;
}
interface DataType {
  type?: string;
  regex?: string;
  max_len?: number;
  range?: [number, number];
  values?: unknown[];
}
interface Dictionary {
  attributes: Record<string, DictionaryAttribute>;
  types: { attributes: Record<string, DataType> };
}

const dictionaries = new Map<string, Dictionary>();

function dictionary(root: string): Dictionary {
  let d = dictionaries.get(root);
  if (!d) {
    d = JSON.parse(readFileSync(join(root, 'dictionary.json'), 'utf8')) as Dictionary;
    dictionaries.set(root, d);
  }
  return d;
}

/** The scalar types the others resolve to; any other name is an object (`object`: any object). */
const BASE_TYPES = new Set(['string_t', 'integer_t', 'long_t', 'float_t', 'boolean_t', 'json_t']);

/** Problems of one (non-array) value of the dictionary type `type`. */
function typeErrors(root: string, type: string, value: unknown, path: string): string[] {
  const types = dictionary(root).types.attributes;
  if (!(type in types) || BASE_TYPES.has(type)) {
    if (type === 'string_t') return typeof value === 'string' ? [] : [`${path}: ${JSON.stringify(value)} is not a string (string_t)`];
    if (type === 'integer_t') return Number.isInteger(value) && Math.abs(value as number) < 2 ** 31 ? [] : [`${path}: ${JSON.stringify(value)} is not a 32-bit integer (integer_t)`];
    if (type === 'long_t') return Number.isSafeInteger(value) ? [] : [`${path}: ${JSON.stringify(value)} is not an integer (long_t)`];
    if (type === 'float_t') return typeof value === 'number' && Number.isFinite(value) ? [] : [`${path}: ${JSON.stringify(value)} is not a number (float_t)`];
    if (type === 'boolean_t') return typeof value === 'boolean' ? [] : [`${path}: ${JSON.stringify(value)} is not a boolean (boolean_t)`];
    if (type === 'json_t') return [];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object (${type})`];
    return type === 'object' ? [] : validateOcsf(root, 'objects', type, value, path);
  }
  // A named type: its base type's check, then its own constraints.
  const t = types[type];
  if (!t.type) return [`${path}: the dictionary's type ${type} names no base type`];
  const errors = typeErrors(root, t.type, value, path).map((e) => `${e} as ${type}`);
  if (errors.length) return errors;
  if (t.values && !t.values.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not among ${t.values.join(', ')} (${type})`);
  if (typeof value === 'string') {
    if (t.regex && !new RegExp(t.regex).test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${type}`);
    if (t.max_len !== undefined && value.length > t.max_len) errors.push(`${path}: longer than ${t.max_len} (${type})`);
  }
  if (typeof value === 'number' && t.range && (value < t.range[0] || value > t.range[1])) errors.push(`${path}: ${value} is outside ${t.range.join('…')} (${type})`);
  return errors;
}

/** Problems of the attribute `name`'s value against its dictionary type and arity. */
function attributeTypeErrors(root: string, name: string, value: unknown, path: string): string[] {
  const a = dictionary(root).attributes[name];
  if (!a) return [`${path}: the dictionary gives no type for ${name}`];
  if (a.is_array) {
    if (!Array.isArray(value)) return [`${path}: expected an array of ${a.type}`];
    return value.flatMap((item, i) => typeErrors(root, a.type, item, `${path}[${i}]`));
  }
  if (Array.isArray(value)) return [`${path}: expected one ${a.type}, not an array`];
  return typeErrors(root, a.type, value, path);
}

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
    if (v !== undefined) errors.push(...attributeTypeErrors(root, k, v, `${path}.${k}`));
  }
  return errors;
}
