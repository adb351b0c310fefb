/**
 * Where the public site's pages link to. The same templates serve the live site (`/public/...`) and
 * the static export (relative `.html` files that work from any folder of a government web server), so
 * templates never write a URL themselves: they call {{plink "institutions/H001"}} and {{passet "site.css"}}.
 */
export interface PublicSite {
  mode: 'live' | 'static';
  /** Static export: how many folders below the export's root this page is (index.html: 0). */
  depth: number;
  /** The live service's public URL, for what a static copy cannot do (the tip form, draw verification). */
  liveUrl: string | null;
  /** Live site: a period chosen with ?period=, kept on links. */
  period: string | null;
  /** Static export: folders between the export's root and the language's root (the English copy lives in en/). */
  langDepth?: number;
}

export const LIVE_SITE: PublicSite = { mode: 'live', depth: 0, liveUrl: null, period: null };

export function liveSite(period: string | null): PublicSite {
  return { ...LIVE_SITE, period };
}

export function staticSite(depth: number, liveUrl: string | null, langDepth = 0): PublicSite {
  return { mode: 'static', depth, liveUrl, period: null, langDepth };
}

const PATH_RE = /^[A-Za-z0-9][A-Za-z0-9/_.-]*$/;

/** A page of the public site: '' is the home page; `path` is `section` or `section/name`. */
export function publicHref(site: PublicSite, path: string): string {
  if (path !== '' && (!PATH_RE.test(path) || path.includes('..'))) throw new Error(`invalid public path ${JSON.stringify(path)}`);
  if (site.mode === 'static') return `${'../'.repeat(site.depth)}${path === '' ? 'index' : path}.html`;
  const base = path === '' ? '/public' : `/public/${path}`;
  return site.period ? `${base}?period=${encodeURIComponent(site.period)}` : base;
}

/** A stylesheet or data file: live under /public/assets and /public/data, copied beside the pages in the export. */
export function publicAsset(site: PublicSite, path: string): string {
  if (!PATH_RE.test(path) || path.includes('..')) throw new Error(`invalid public asset ${JSON.stringify(path)}`);
  if (site.mode === 'static') return `${'../'.repeat(site.depth + (site.langDepth ?? 0))}${path}`;
  // Open data follows the period the live page shows.
  return site.period && path.startsWith('data/') ? `/public/${path}?period=${encodeURIComponent(site.period)}` : `/public/${path}`;
}

/** A page only the live service has (the tip form and tracking): absolute in the export, or null without a live URL. */
export function liveOnlyHref(site: PublicSite, path: string): string | null {
  if (site.mode === 'live') return `/${path}`;
  return site.liveUrl ? `${site.liveUrl.replace(/\/+$/, '')}/${path}` : null;
}
