/**
 * `--platform` (`linux/arm64/v8`): which image of a multi-platform index to scan. Apart from the
 * image readers so that opening a directory or lockfile source does not load them.
 */
import { TargetError } from '../errors.js';

/** `os/arch[/variant]`, as `--platform` takes it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses `linux/arm64/v8`; the default is linux/amd64. */
export function parsePlatform(text: string | undefined): Platform {
  if (!text) return { os: 'linux', architecture: 'amd64' };
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new TargetError(text, 'platform must be os/arch[/variant], e.g. linux/amd64');
  return { os, architecture, variant };
}
