/**
 * `sbom:FILE`: CycloneDX (1.2–1.6) or SPDX 2.x JSON read back into an inventory, through
 * lenient schemas (SBOMs from other tools vary). Components without a PURL cannot be
 * matched and are counted in a warning. Vigil's own `vigil:*` properties, when present,
 * restore what the formats have no field for.
 */
import { readFile, stat } from 'node:fs/promises';
import type { PackageURL } from 'packageurl-js';
import { z } from 'zod';
import { languageEcosystemForPurlType } from '../../ecosystems.js';
import { nameFromPurl } from '../build.js';
import { TargetError, describeError } from '../errors.js';
import { stdlibVersion } from '../extractors/go/golang.js';
import { withEcosystem } from '../extractors/os/os-release.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import type { ScanLimits } from '../limits.js';
import type { Inventory, OsInfo, OwnerRef, Package, ScanWarning, TargetInfo } from '../types.js';
import { PROP, parsePurl } from './common.js';

const propertySchema = z.object({ name: z.string(), value: z.string().optional() }).loose();
interface CdxComponent {
  type?: string;
  name?: string;
  version?: string;
  purl?: string;
  properties?: z.infer<typeof propertySchema>[];
  components?: CdxComponent[];
}
const componentSchema: z.ZodType<CdxComponent> = z.lazy(() =>
  z
    .object({
      type: z.string().optional(),
      name: z.string().optional(),
      version: z.string().optional(),
      purl: z.string().optional(),
      properties: z.array(propertySchema).optional(),
      components: z.array(componentSchema).optional(),
    })
    .loose(),
);
const cycloneDxSchema = z
  .object({
    bomFormat: z.literal('CycloneDX'),
    specVersion: z.string(),
    metadata: z
      .object({ timestamp: z.string().optional(), component: componentSchema.optional() })
      .loose()
      .optional(),
    components: z.array(componentSchema).optional(),
  })
  .loose();

const spdxSchema = z
  .object({
    spdxVersion: z.string().regex(/^SPDX-2\./),
    name: z.string().optional(),
    creationInfo: z.object({ created: z.string().optional() }).loose().optional(),
    packages: z
      .array(
        z
          .object({
            SPDXID: z.string(),
            name: z.string(),
            versionInfo: z.string().optional(),
            primaryPackagePurpose: z.string().optional(),
            externalRefs: z.array(z.object({ referenceType: z.string(), referenceLocator: z.string() }).loose()).optional(),
            annotations: z.array(z.object({ comment: z.string() }).loose()).optional(),
          })
          .loose(),
      )
      .optional(),
    relationships: z.array(z.object({ spdxElementId: z.string(), relationshipType: z.string(), relatedSpdxElement: z.string() }).loose()).optional(),
  })
  .loose();

type Props = Map<string, string[]>;

function propsOf(pairs: [string, string][]): Props {
  const m: Props = new Map();
  for (const [k, v] of pairs) m.set(k, [...(m.get(k) ?? []), v]);
  return m;
}

function one(props: Props, key: string): string | undefined {
  return props.get(key)?.[0];
}

function osFromProps(props: Props): OsInfo | undefined {
  const id = one(props, PROP.osId);
  if (!id) return undefined;
  return { id, ecosystem: one(props, PROP.osEcosystem), versionId: one(props, PROP.osVersionId), name: one(props, PROP.osName), codename: one(props, PROP.osCodename) };
}

function ecosystemFromDistro(type: string, distro: string | undefined, os: OsInfo | undefined): string {
  if (distro) {
    const m = /^([a-z][a-z0-9._-]*?)-(\d[\w.]*)$/.exec(distro);
    const detected = withEcosystem(m ? { id: m[1], versionId: m[2] } : { id: distro });
    if (detected.ecosystem) return detected.ecosystem;
  }
  const osType = os?.ecosystem ? { Debian: 'deb', Ubuntu: 'deb', Alpine: 'apk', Wolfi: 'apk', Chainguard: 'apk' }[os.ecosystem.split(':')[0]] ?? 'rpm' : undefined;
  return os?.ecosystem && osType === type ? os.ecosystem : '';
}

/**
 * The version to match a component by: Go's `stdlib` as SBOM tools write it (`go1.20.1`,
 * `v1.20`) is read the way Go's advisories write it (`1.20.1`, `1.20.0`).
 */
function matchVersion(type: string, name: string, version: string): string {
  if (type === 'golang' && name === 'stdlib') return stdlibVersion(version) ?? version;
  return version;
}

function toPackage(purlText: string, version: string | undefined, props: Props, os: OsInfo | undefined, extractor: string): Package | string {
  let purl: PackageURL;
  try {
    purl = parsePurl(purlText);
  } catch (err) {
    return `invalid PURL "${purlText.slice(0, 120)}": ${describeError(err)}`;
  }
  const type = purl.type;
  const isOs = type === 'deb' || type === 'rpm' || type === 'apk';
  const ecosystem = one(props, PROP.ecosystem) ?? (isOs ? ecosystemFromDistro(type, purl.qualifiers?.distro, os) : (languageEcosystemForPurlType(type)?.name ?? ''));
  const epoch = purl.qualifiers?.epoch;
  const purlVersion = purl.version ?? '';
  const name = nameFromPurl(type, purl.namespace ?? undefined, purl.name);
  const pkg: Package = {
    ecosystem,
    purlType: type,
    name,
    version: matchVersion(type, name, version ?? (type === 'rpm' && epoch && epoch !== '0' ? `${epoch}:${purlVersion}` : purlVersion)),
    purl: purlText,
    locations: props.get(PROP.location) ?? [],
    extractor: one(props, PROP.extractor) ?? extractor,
  };
  const sourceName = one(props, PROP.sourceName);
  if (sourceName) pkg.source = { name: sourceName, version: one(props, PROP.sourceVersion) ?? pkg.version };
  const layer = one(props, PROP.layer);
  if (layer) pkg.layer = layer;
  const arch = one(props, PROP.arch) ?? purl.qualifiers?.arch;
  if (arch) pkg.arch = arch;
  if (one(props, PROP.kernel) === 'true') pkg.kernel = true;
  if (one(props, PROP.dev) === 'true') pkg.dev = true;
  const metadata: Record<string, string> = {};
  for (const [k, v] of props) if (k.startsWith(PROP.metadata)) metadata[k.slice(PROP.metadata.length)] = v[0];
  if (Object.keys(metadata).length) pkg.metadata = metadata;
  return pkg;
}

function ownerRefOf(p: Package): OwnerRef | undefined {
  return p.purlType === 'deb' || p.purlType === 'rpm' || p.purlType === 'apk' ? { purlType: p.purlType, name: p.name, version: p.version } : undefined;
}

/** Throws for a document nested deeper than the schemas (and the stack) take. */
function refuseDeepNesting(json: unknown, target: TargetInfo): void {
  if (nestsDeeperThan(json, MAX_JSON_DEPTH)) throw new TargetError(target.name, `SBOM nests more than ${MAX_JSON_DEPTH} levels deep (limit of JSON nesting); not read`);
}

/**
 * What an SBOM says it describes, `name@version` (the version left out when it is a digest,
 * which changes with every build), for naming the resource it is filed under.
 */
function subjectOf(name: string | undefined, version: string | undefined): string | undefined {
  const n = name?.trim().slice(0, 1000);
  if (!n) return undefined;
  const v = version?.trim().slice(0, 500);
  return v && !/^sha(256|384|512):/.test(v) ? `${n}@${v}` : n;
}

/** Reads a parsed CycloneDX document into an inventory. */
export function fromCycloneDx(json: unknown, target: TargetInfo): Inventory {
  refuseDeepNesting(json, target);
  const parsed = cycloneDxSchema.safeParse(json);
  if (!parsed.success) throw new TargetError(target.name, `not a CycloneDX document: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const doc = parsed.data;
  const rootProps = propsOf((doc.metadata?.component?.properties ?? []).map((p) => [p.name, p.value ?? '']));
  let os = osFromProps(rootProps);
  const osComponent = (doc.components ?? []).find((c) => c.type === 'operating-system');
  if (!os && osComponent?.name) os = withEcosystem({ id: osComponent.name.toLowerCase(), versionId: osComponent.version });
  const packages: Package[] = [];
  const warnings: ScanWarning[] = [];
  let withoutPurl = 0;
  const visit = (list: CdxComponent[], owner: Package | undefined): void => {
    for (const c of list) {
      if (c.type === 'operating-system') continue;
      let pkg: Package | undefined;
      if (c.purl) {
        const props = propsOf((c.properties ?? []).map((p) => [p.name, p.value ?? '']));
        const result = toPackage(c.purl, c.version, props, os, `sbom/cyclonedx-${doc.specVersion}`);
        if (typeof result === 'string') warnings.push({ path: target.name, reason: `component ${c.name ?? '?'}: ${result}` });
        else {
          pkg = result;
          const ref = owner ? ownerRefOf(owner) : undefined;
          if (ref && !ownerRefOf(pkg)) pkg.ownedBy = ref;
          packages.push(pkg);
        }
      } else {
        withoutPurl++;
      }
      if (c.components) visit(c.components, pkg ?? owner);
    }
  };
  visit(doc.components ?? [], undefined);
  if (withoutPurl > 0) warnings.push({ path: target.name, reason: `${withoutPurl} components without a PURL were skipped (they cannot be matched)` });
  const root = doc.metadata?.component;
  const subject = subjectOf(root?.name, root?.version);
  return {
    schemaVersion: 1,
    target: { ...target, digest: root?.version?.startsWith('sha256:') ? root.version : undefined, ...(subject ? { subject } : {}) },
    os,
    packages,
    warnings,
    partial: one(rootProps, PROP.partial) === 'true',
    scannedAt: doc.metadata?.timestamp ?? new Date().toISOString(),
  };
}

/** Reads a parsed SPDX 2.x JSON document into an inventory. */
export function fromSpdx(json: unknown, target: TargetInfo): Inventory {
  refuseDeepNesting(json, target);
  const parsed = spdxSchema.safeParse(json);
  if (!parsed.success) throw new TargetError(target.name, `not an SPDX 2.x JSON document: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const doc = parsed.data;
  const annotationProps = (p: { annotations?: { comment: string }[] }): Props =>
    propsOf(
      (p.annotations ?? []).flatMap((a): [string, string][] => {
        const eq = a.comment.indexOf('=');
        return a.comment.startsWith('vigil:') && eq > 0 ? [[a.comment.slice(0, eq), a.comment.slice(eq + 1)]] : [];
      }),
    );
  const all = doc.packages ?? [];
  const described = new Set((doc.relationships ?? []).filter((r) => r.relationshipType === 'DESCRIBES').map((r) => r.relatedSpdxElement));
  let os: OsInfo | undefined;
  for (const p of all) if (described.has(p.SPDXID)) os ??= osFromProps(annotationProps(p));
  const osPackage = all.find((p) => p.primaryPackagePurpose === 'OPERATING-SYSTEM');
  if (!os && osPackage) os = withEcosystem({ id: osPackage.name.toLowerCase(), versionId: osPackage.versionInfo });
  const byId = new Map<string, Package>();
  const warnings: ScanWarning[] = [];
  let withoutPurl = 0;
  for (const p of all) {
    if (p === osPackage || described.has(p.SPDXID)) continue;
    const purl = p.externalRefs?.find((r) => r.referenceType === 'purl')?.referenceLocator;
    if (!purl) {
      withoutPurl++;
      continue;
    }
    const result = toPackage(purl, p.versionInfo, annotationProps(p), os, `sbom/spdx-${doc.spdxVersion.slice(5)}`);
    if (typeof result === 'string') warnings.push({ path: target.name, reason: `package ${p.name}: ${result}` });
    else byId.set(p.SPDXID, result);
  }
  for (const r of doc.relationships ?? []) {
    if (r.relationshipType !== 'CONTAINS') continue;
    const owner = byId.get(r.spdxElementId);
    const owned = byId.get(r.relatedSpdxElement);
    const ref = owner ? ownerRefOf(owner) : undefined;
    if (ref && owned && !ownerRefOf(owned)) owned.ownedBy = ref;
  }
  if (withoutPurl > 0) warnings.push({ path: target.name, reason: `${withoutPurl} packages without a PURL were skipped (they cannot be matched)` });
  const describedPackage = all.find((p) => described.has(p.SPDXID) && p !== osPackage);
  const subject = describedPackage ? subjectOf(describedPackage.name, describedPackage.versionInfo) : subjectOf(doc.name, undefined);
  return {
    schemaVersion: 1,
    target: { ...target, ...(subject ? { subject } : {}) },
    os,
    packages: [...byId.values()],
    warnings,
    partial: false,
    scannedAt: doc.creationInfo?.created ?? new Date().toISOString(),
  };
}

/** Reads `FILE` as CycloneDX or SPDX JSON (told apart by their marker fields). */
export async function readSbomFile(file: string, name: string, limits: ScanLimits): Promise<Inventory> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new TargetError(name, `cannot open SBOM: ${describeError(err)}`);
  }
  if (size > limits.maxFileBytes) throw new TargetError(name, `SBOM is ${size} bytes, more than the limit of ${limits.maxFileBytes} (maxFileBytes)`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new TargetError(name, `SBOM is not valid JSON: ${describeError(err)}`);
  }
  const target: TargetInfo = { type: 'sbom', name };
  if (json && typeof json === 'object' && (json as Record<string, unknown>).bomFormat === 'CycloneDX') return fromCycloneDx(json, target);
  if (json && typeof json === 'object' && 'spdxVersion' in json) return fromSpdx(json, target);
  throw new TargetError(name, 'not a CycloneDX or SPDX JSON document (no bomFormat or spdxVersion field)');
}
