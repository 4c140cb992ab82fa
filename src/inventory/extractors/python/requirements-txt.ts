/**
 * pip requirements files (`requirements.txt`, `requirements-dev.txt`, `requirements/*.txt`).
 * Only an exact pin (`==` or `===` on one concrete version) says what gets installed; any
 * other requirement is reported without a version and with a warning, so that the name is
 * not lost but no version is guessed. Included files (`-r other.txt`) are read on their own
 * when the walk reaches them.
 */
import type { Extractor, ExtractContext, FileRef, FoundPackage } from '../../types.js';
import { baseName, insideInstalledTree, readText } from '../language-common.js';
import { pypiPackage } from './pypi.js';

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/;
const CONCRETE_VERSION = /^[A-Za-z0-9.!+_-]+$/;

/** One requirement line, after continuations, comments and options are removed. */
export interface Requirement {
  name: string;
  /** The pinned version, or '' when the line does not pin one. */
  version: string;
  line: string;
}

function stripComment(line: string): string {
  const m = /(^|\s)#/.exec(line);
  return m ? line.slice(0, m.index) : line;
}

/** Parses a requirements file into requirements; lines that are options, paths or URLs are skipped. */
export function parseRequirements(text: string): Requirement[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw);
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ');
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  if (pending) logical.push(pending);

  const out: Requirement[] = [];
  for (const full of logical) {
    let line = full.trim();
    // Options (-r, -c, -e, --index-url …), local paths and bare URLs name no registry package.
    if (line === '' || line.startsWith('-') || /^(\.|\/|[a-z+]+:\/\/)/i.test(line)) continue;
    // Per-requirement options (`--hash=…`, `-C x`) end the requirement.
    const opt = /\s(--?[A-Za-z])/.exec(line);
    if (opt) line = line.slice(0, opt.index);
    const markers = line.indexOf(';');
    if (markers >= 0) line = line.slice(0, markers);
    const m = NAME.exec(line.trim());
    if (!m) continue;
    const spec = m[3].trim();
    let version = '';
    const pin = /^(===?)\s*(\S+)/.exec(spec);
    if (pin && !spec.includes(',') && CONCRETE_VERSION.test(pin[2]) && !pin[2].includes('*')) version = pin[2];
    // `name==` with nothing after it, or a variable (`==${VERSION}`), names a package whose version is unknown.
    out.push({ name: m[1], version, line: full.trim() });
  }
  return out;
}

/** True for file names pip users give requirements files. */
function isRequirementsFile(path: string): boolean {
  const name = baseName(path);
  if (!name.endsWith('.txt')) return false;
  if (name.includes('requirements')) return true;
  const parent = path.split('/').slice(-2, -1)[0];
  return parent === 'requirements';
}

/** Extracts PyPI packages from pip requirements files. */
export const requirementsTxt = {
  id: 'python/requirements-txt',
  version: 1,
  fileRequired(path: string): boolean {
    // Requirements files shipped inside installed distributions are not what is installed here.
    return isRequirementsFile(path) && !insideInstalledTree(path, ['site-packages', 'dist-packages', 'node_modules']);
  },
  async extract(file: FileRef, ctx: ExtractContext): Promise<FoundPackage[]> {
    const reqs = parseRequirements(await readText(file));
    // By convention, `requirements-dev.txt`, `test-requirements.txt`, `requirements/dev.txt` list development tools.
    const dev = /(^|[^a-z])(dev|test|tests|testing|lint|docs)([^a-z]|$)/i.test(baseName(file.path).replace(/requirements/i, ''));
    const unpinned = reqs.filter((r) => r.version === '').map((r) => r.name);
    if (unpinned.length > 0) {
      ctx.warn(`${unpinned.length} requirement(s) not pinned with ==, reported without a version: ${unpinned.slice(0, 10).join(', ')}${unpinned.length > 10 ? ', …' : ''}`);
    }
    return reqs.map((r) => pypiPackage(r.name, r.version, { dev }));
  },
} satisfies Extractor;
