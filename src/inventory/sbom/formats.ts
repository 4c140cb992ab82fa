/** Output formats of `vigil sbom`, apart from their writers so that naming them loads none. */
export const SBOM_FORMATS = ['cyclonedx-json', 'spdx-json', 'json'] as const;
/** One output format. */
export type SbomFormat = (typeof SBOM_FORMATS)[number];
