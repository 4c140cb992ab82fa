import type { Readable } from 'node:stream';

/** What was scanned. */
export interface TargetInfo {
  type: 'dir' | 'oci-dir' | 'docker-archive' | 'oci-archive' | 'registry' | 'sbom' | 'file' | 'host';
  /** What the user named: a path, an image reference, a host name. */
  name: string;
  /** Image manifest digest, when the target is an image. */
  digest?: string;
  image?: ImageInfo;
  /** What an SBOM target says it describes (`name@version` of its root component or described package). */
  subject?: string;
}

/** Image metadata kept with an image inventory. */
export interface ImageInfo {
  registry?: string;
  repository?: string;
  tags: string[];
  manifestDigest?: string;
  configDigest?: string;
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  labels: Record<string, string>;
  history: { created?: string; createdBy?: string; emptyLayer?: boolean; comment?: string }[];
  /** Layer digests (compressed, as in the manifest) bottom to top, with their diff ids. */
  layers: { digest: string; diffId?: string; size?: number; mediaType?: string }[];
  baseImage?: { name?: string; digest?: string };
}

/** The operating system found in the target. */
export interface OsInfo {
  /** OSV ecosystem with release: `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Rocky Linux:9`. */
  ecosystem?: string;
  /** os-release `ID`. */
  id: string;
  name?: string;
  version?: string;
  versionId?: string;
  codename?: string;
  prettyName?: string;
  /** Running kernel release, when the target is a live host. */
  runningKernel?: string;
}

/** Reference to the OS package that installed a language package's files. */
export interface OwnerRef {
  purlType: 'deb' | 'rpm' | 'apk';
  name: string;
  version: string;
}

/** One installed thing, as found. */
export interface Package {
  /** OSV ecosystem; distro packages carry the release (`Debian:12`). Empty when the OS is unknown. */
  ecosystem: string;
  /** PURL type, always known (`deb`, `npm`, …), even when the ecosystem is not. */
  purlType: string;
  name: string;
  version: string;
  /** dpkg `Source:`, rpm source RPM, apk origin. */
  source?: { name: string; version: string };
  purl: string;
  /** Files it was read from (paths inside the target, `/`-rooted). */
  locations: string[];
  /** Digest of the image layer that introduced it. */
  layer?: string;
  arch?: string;
  /** A Linux kernel image or module package. */
  kernel?: boolean;
  /** A development-only dependency (kept, marked). */
  dev?: boolean;
  /** OS package that owns the files this language package was read from. */
  ownedBy?: OwnerRef;
  /** `id@version` of the extractor that found it. */
  extractor: string;
  /** Format-specific facts (modularity label, vendor, license, …). */
  metadata?: Record<string, string>;
}

/** A file the scan could not use, and why. */
export interface ScanWarning {
  path?: string;
  extractor?: string;
  reason: string;
}

/** Everything found in one target. Knows nothing about advisories. */
export interface Inventory {
  schemaVersion: 1;
  target: TargetInfo;
  os?: OsInfo;
  packages: Package[];
  warnings: ScanWarning[];
  /** True when some file could not be read: the package list may be incomplete. */
  partial: boolean;
  scannedAt: string;
}

/** A package as an extractor yields it, before the inventory builder fills in ecosystem and PURL. */
export interface FoundPackage {
  purlType: string;
  /** Set by language extractors; OS extractors leave it to the builder, which knows the release. */
  ecosystem?: string;
  /** PURL namespace where the type has one (Maven group id, npm scope without `@`, Go path prefix). */
  namespace?: string;
  name: string;
  version: string;
  source?: { name: string; version: string };
  arch?: string;
  kernel?: boolean;
  dev?: boolean;
  metadata?: Record<string, string>;
  /** Paths this package's files occupy (dpkg `.list`, rpm file list, apk `R:` lines), for ownership. */
  ownedFiles?: string[];
}

/** A file handed to an extractor by the walker. */
export interface FileRef {
  /** `/`-rooted path inside the target, after whiteouts. */
  path: string;
  size: number;
  /** Digest of the layer the file's final version came from. */
  layer?: string;
  /** Permission bits and type (`st_mode`), when the source knows them. */
  mode?: number;
  /** Reads the whole file; rejects past the extractor's size limit. */
  read(): Promise<Buffer>;
  /** Streams the file. */
  stream(): Readable;
  /**
   * Reads `length` bytes at `offset` (fewer at the end of the file), whatever the file's size:
   * for extractors that find what they need by seeking in files over the size limit (a Go
   * program's build information). Absent where the source cannot seek.
   */
  readAt?(offset: number, length: number): Promise<Buffer>;
}

/** What an extractor can see besides its file. */
export interface ExtractContext {
  signal?: AbortSignal;
  /** Records a non-fatal problem with the file being extracted. */
  warn(reason: string): void;
  /**
   * Reads another file of the target that this extractor declared with `auxiliaryFile`
   * (e.g. dpkg's `info/*.list` beside `status`); `undefined` when the target has no such file.
   * Absent where the walker cannot offer it (single-file targets).
   */
  readFile?(path: string): Promise<Buffer | undefined>;
}

/**
 * Finds packages in files of one format. It never walks the tree: the walker hands it each
 * file whose path it asks for.
 */
export interface Extractor {
  /** The plugin's path under `src/inventory/extractors/`, e.g. `os/dpkg-status`. */
  readonly id: string;
  /** Bumped when output changes; stored as `id@version` with what it found. */
  readonly version: number;
  /** True when the file at this path is one this extractor reads. */
  fileRequired(path: string, size: number, mode?: number): boolean;
  /**
   * False when no size or mode could make this extractor want the path (as input or as an
   * auxiliary file), so a walk need not stat the file to ask. Required of extractors whose
   * answers depend on size or mode; without it `fileRequired` and `auxiliaryFile` must answer
   * from the path alone (the registry test checks this), and are asked with size 0.
   */
  mayRequire?(path: string): boolean;
  /**
   * True when the extractor finds what it needs in files over the scan's `maxFileBytes` by
   * seeking ({@link FileRef.readAt}) instead of reading them whole.
   */
  seeksLargeFiles?: boolean;
  /**
   * For an extractor of compiled programs that looks in an ELF program only for these sections,
   * through its section table (`findElfSection` in extractors/elf.ts), finds nothing in one that has none
   * of them, and nothing in a file that is no program (no ELF, PE or Mach-O header), which it
   * learns from the first bytes: a source holding files in memory may keep such a program as
   * just the header, section table and section names, and such a file as its first bytes, when
   * every extractor that wants it says so (`programLookup`).
   */
  elfSections?: readonly string[];
  /**
   * True for files the extractor reads only through `ctx.readFile` while extracting another
   * file: the walker keeps them available but does not call `extract` on them.
   */
  auxiliaryFile?(path: string, size: number): boolean;
  extract(file: FileRef, ctx: ExtractContext): AsyncIterable<FoundPackage> | Promise<FoundPackage[]>;
}
