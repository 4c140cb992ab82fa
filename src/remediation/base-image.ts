/**
 * Base-image advice types (the logic follows in this module).
 */

/** What the plan says about an image's base: how it was found, and which stored image to rebuild on. */
export interface BaseImageAdvice {
  base: { name?: string; digest?: string; resourceId?: string; via: 'ANNOTATION' | 'LAYERS' };
  /** ACTIVE findings of the image that came with its base. */
  baseFindings: number;
  recommendation?: {
    /** `repository:tag` of the stored image to rebuild on. */
    image: string;
    resourceId: string;
    digest?: string;
    /** Base findings the image does not have. */
    clears: number;
    of: number;
    /** ACTIVE findings of that image this one's base does not have. */
    introduces: number;
    /** "rebuild on debian:12.9 — clears 41 of 47 base findings". */
    summary: string;
  };
}
