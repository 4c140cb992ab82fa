/**
 * A validator over a botocore service model's shapes (structure, list, map, string, number,
 * boolean, timestamp): required members, unknown members, enums, patterns and length/count
 * bounds. Used to check exports against the published AWS model rather than a copy of it.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

interface Shape {
  type: string;
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  pattern?: string;
  min?: number;
  max?: number;
}

/** A loaded model. */
export interface ShapeModel {
  shapes: Record<string, Shape>;
}

/** Loads a (gzipped) botocore `service-2.json`. */
export function loadShapeModel(path: string): ShapeModel {
  const raw = readFileSync(path);
  return JSON.parse((path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as ShapeModel;
}

/** The problems of `value` as the shape named `shapeName`, each with its JSON path; empty when valid. */
export function validateShape(model: ShapeModel, shapeName: string, value: unknown, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: the model has no shape ${shapeName}`];
  const errors: string[] = [];
  const bounds = (n: number, what: string) => {
    if (shape.min !== undefined && n < shape.min) errors.push(`${path}: ${what} ${n} is below the minimum ${shape.min} (${shapeName})`);
    if (shape.max !== undefined && n > shape.max) errors.push(`${path}: ${what} ${n} is above the maximum ${shape.max} (${shapeName})`);
  };
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object (${shapeName})`];
      const obj = value as Record<string, unknown>;
      for (const r of shape.required ?? []) if (obj[r] === undefined) errors.push(`${path}.${r}: required by ${shapeName}`);
      for (const [k, v] of Object.entries(obj)) {
        const member = shape.members?.[k];
        if (!member) errors.push(`${path}.${k}: not a member of ${shapeName}`);
        else if (v !== undefined) errors.push(...validateShape(model, member.shape, v, `${path}.${k}`));
      }
      return errors;
    }
    case 'list':
      if (!Array.isArray(value)) return [`${path}: expected an array (${shapeName})`];
      bounds(value.length, 'item count');
      value.forEach((v, i) => errors.push(...validateShape(model, shape.member!.shape, v, `${path}[${i}]`)));
      return errors;
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object map (${shapeName})`];
      for (const [k, v] of Object.entries(value)) {
        errors.push(...validateShape(model, shape.key!.shape, k, `${path}{key ${k}}`));
        errors.push(...validateShape(model, shape.value!.shape, v, `${path}.${k}`));
      }
      return errors;
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string (${shapeName})`];
      if (shape.enum && !shape.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${shape.enum.join(', ')} (${shapeName})`);
      if (shape.pattern && !new RegExp(`^(?:${shape.pattern})$`, 's').test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${shape.pattern} (${shapeName})`);
      bounds(value.length, 'length');
      return errors;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${path}: expected an integer (${shapeName})`];
      bounds(value, 'value');
      return errors;
    case 'double':
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: expected a number (${shapeName})`];
      bounds(value, 'value');
      return errors;
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean (${shapeName})`];
    case 'timestamp':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? [] : [`${path}: expected an ISO-8601 timestamp (${shapeName})`];
    default:
      return [`${path}: the validator does not know shape type ${shape.type} (${shapeName})`];
  }
}
