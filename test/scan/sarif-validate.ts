/** Validates SARIF logs against the committed OASIS SARIF 2.1.0 schema with ajv. */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

let validate: ValidateFunction | undefined;

/** ajv's errors for the log, empty when it is valid SARIF 2.1.0. */
export function sarifErrors(log: unknown): string[] {
  if (!validate) {
    // The OASIS SARIF 2.1.0 schema (source and commit in its `$comment`).
    const schema = JSON.parse(readFileSync(new URL('./sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    validate = ajv.compile(schema);
  }
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
