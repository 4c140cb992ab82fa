/**
 * Bounds on what one scan may read, decompress and hold. Images and archives come from
 * outside: every loop over their contents is bounded by one of these, so a decompression
 * bomb or an absurd manifest ends in a clear error instead of an exhausted machine.
 */

/** Limits of one scan; every field is optional in options and defaults to {@link DEFAULT_LIMITS}. */
export interface ScanLimits {
  /** Total bytes all layers may decompress to. */
  maxDecompressedBytes: number;
  /** Total tar entries across all layers (or files in a directory walk). */
  maxEntries: number;
  /** Layers an image may have. */
  maxLayers: number;
  /** Largest single file handed to an extractor. */
  maxFileBytes: number;
  /** Total bytes of wanted files held in memory at once while walking layers. */
  maxBufferedBytes: number;
  /** Largest manifest, index, config or SBOM document read whole. */
  maxDocumentBytes: number;
  /** Largest outer archive (docker-archive, oci-archive) member count. */
  maxArchiveMembers: number;
  /** Longest entry name or link target in a layer, in bytes (Linux's PATH_MAX). */
  maxPathBytes: number;
  /** Most components an entry name in a layer may have. */
  maxPathDepth: number;
}

/** The defaults: generous for real images, tight enough to stop bombs. */
export const DEFAULT_LIMITS: ScanLimits = {
  // The largest images in common use (CUDA development images with PyTorch, NVIDIA NGC
  // framework images) unpack to 15–25 GB; 32 GiB leaves room above them while halving what a
  // bomb of a few megabytes may make a scan (or a server pull) decompress.
  maxDecompressedBytes: 32 * 1024 ** 3,
  maxEntries: 5_000_000,
  maxLayers: 256,
  maxFileBytes: 256 * 1024 ** 2,
  maxBufferedBytes: 512 * 1024 ** 2,
  maxDocumentBytes: 8 * 1024 ** 2,
  maxArchiveMembers: 100_000,
  maxPathBytes: 4096,
  maxPathDepth: 256,
};

/** Fills missing limits from the defaults. */
export function resolveLimits(partial: Partial<ScanLimits> = {}): ScanLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ScanLimits)[]) {
    const v = partial[key];
    if (v !== undefined) {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`limit ${key} must be a positive number, got ${v}`);
      out[key] = v;
    }
  }
  return out;
}

/** Thrown when input exceeds a limit; the message names the input and the limit. */
export class LimitExceededError extends Error {
  constructor(
    readonly limit: keyof ScanLimits,
    message: string,
  ) {
    super(message);
    this.name = 'LimitExceededError';
  }
}
