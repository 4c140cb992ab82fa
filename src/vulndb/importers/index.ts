/** The importer registry: one line per source kind. */
import { alpineImporter } from './alpine.js';
import { cve5Importer } from './cve5.js';
import { debianImporter } from './debian.js';
import { epssImporter } from './epss.js';
import { kevImporter } from './kev.js';
import { nvdImporter } from './nvd.js';
import { osvImporter } from './osv.js';
import { packagistImporter } from './packagist.js';
import { rubysecImporter } from './rubysec.js';
import { updateinfoImporter } from './updateinfo.js';
import type { Importer, SourceKind } from './types.js';

/** Every importer, one per `--source` kind. */
export const importers = [
  osvImporter,
  rubysecImporter,
  packagistImporter,
  alpineImporter,
  debianImporter,
  updateinfoImporter,
  nvdImporter,
  cve5Importer,
  kevImporter,
  epssImporter,
] as const satisfies readonly Importer[];

/** The importer for a source kind. */
export function importerFor(kind: SourceKind): Importer {
  const found = importers.find((i) => i.kind === kind);
  if (!found) throw new Error(`no importer for source kind "${kind}"`);
  return found;
}
