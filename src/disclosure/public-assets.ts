import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The public site's stylesheets by name (served under /public/assets, copied to assets/ in the export). */
export function publicStylesheets(projectRoot: string): Record<'console.css' | 'public.css', string> {
  return {
    'console.css': readFileSync(join(projectRoot, 'src', 'console', 'static', 'console.css'), 'utf8'),
    'public.css': readFileSync(join(projectRoot, 'src', 'disclosure', 'static', 'public.css'), 'utf8'),
  };
}
