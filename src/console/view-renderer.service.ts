import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Actor } from '../accounts/roles';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { formatDate, formatDateTime, formatFen, formatMeasure, formatMoney, formatNumber, formatPercent, riskLevel } from './format';
import { DEFAULT_LANG, Dictionaries, HTML_LANG, LANG_COOKIE, Lang, interpolate, isLang, loadDictionaries } from './i18n';
import { navFor } from './nav';
import { LIVE_SITE, PublicSite, liveOnlyHref, publicAsset, publicHref } from '../disclosure/public-site';

/** The folder holding package.json: templates are read from src/ there (tsc does not copy .hbs files). */
export function projectRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the project root (package.json) above ${from}`);
    dir = up;
  }
}

export interface RenderOptions {
  /** An i18n key (or, when no such key exists, the text itself) for <title>. */
  title?: string;
  /** Values for the title's placeholders. */
  titleVars?: Record<string, unknown>;
  status?: number;
  /** The page frame: `console/layout` (default) or a feature's, e.g. `disclosure/layout` for the public site. */
  layout?: string;
}

/** What a page needs besides its own context when rendered without a request (static export). */
export interface StandaloneRenderOptions {
  lang: Lang;
  title?: string;
  titleVars?: Record<string, unknown>;
  layout?: string;
}

interface CachedTemplate {
  template: Handlebars.TemplateDelegate;
  mtimeMs: number;
}

const VIEW_RE = /^([a-z][a-z0-9-]*)\/([a-z0-9][a-z0-9/_-]*)$/;

/** The `fg_lang` cookie lives a year; it carries only the language. */
const LANG_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/**
 * Renders server-side pages: `feature/name` → src/<feature>/views/<name>.hbs inside the layout,
 * with the actor, CSRF token, language, messages, flash and navigation added to the context.
 */
@Injectable()
export class ViewRenderer {
  readonly root: string;
  private readonly hbs = Handlebars.create();
  private readonly cache = new Map<string, CachedTemplate>();
  readonly dictionaries: Dictionaries;
  private readonly reload: boolean;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.root = projectRoot();
    this.dictionaries = loadDictionaries();
    this.reload = config.env === 'development';
    registerHelpers(this.hbs, this.dictionaries);
    this.registerPartials();
  }

  /** The public site's small-cell threshold, for pages rendered outside the disclosure module (errors). */
  get publicMinCell(): number {
    return this.config.disclosure.minCell;
  }

  /** Looks a message up; `{name}` placeholders are filled from vars; an unknown key shows itself. */
  t(lang: Lang, key: string, vars?: Record<string, unknown>): string {
    const text = this.dictionaries[lang][key];
    return text === undefined ? key : interpolate(text, vars);
  }

  has(key: string): boolean {
    return key in this.dictionaries[DEFAULT_LANG];
  }

  /** The request's language: ?lang= (remembered in a cookie by render), else the cookie, else Chinese. */
  langOf(req: Request): Lang {
    const q = req.query?.lang;
    if (isLang(q)) return q;
    const c = readCookie(req, LANG_COOKIE);
    return isLang(c) ? c : DEFAULT_LANG;
  }

  /** Renders `view` inside the layout and sends it (status 200 unless opts.status). */
  render(res: Response, view: string, context: Record<string, unknown> = {}, opts: RenderOptions = {}): void {
    const req = res.req as Request;
    const lang = this.langOf(req);
    if (isLang(req.query?.lang) && readCookie(req, LANG_COOKIE) !== req.query.lang) {
      res.cookie(LANG_COOKIE, req.query.lang, { maxAge: LANG_COOKIE_MAX_AGE_MS, sameSite: 'lax', httpOnly: true, path: '/', secure: req.secure });
    }
    const actor = (res.locals.actor as Actor | undefined) ?? (req as Request & { actor?: Actor }).actor;
    const csrfToken = res.locals.csrfToken as string | undefined;
    const full: Record<string, unknown> = {
      ...context,
      actor,
      csrfToken,
      flash: this.flashOf(req, lang),
      nav: actor ? navFor(actor, req.path) : [],
      langLinks: { zh: withQuery(req.originalUrl, { lang: 'zh' }), en: withQuery(req.originalUrl, { lang: 'en' }) },
      path: req.path,
      query: req.query,
    };
    const html = this.compose(view, full, { lang, title: opts.title, titleVars: opts.titleVars, layout: opts.layout });
    res.status(opts.status ?? 200);
    res.type('html');
    // Pages show personal and supervisory data: never cache them in shared caches or the back button.
    res.setHeader('Cache-Control', 'no-store');
    res.send(html);
  }

  /**
   * A whole page as a string, without a request: no actor, CSRF token or flash. The static export of
   * the public site renders its pages with this; `context.langLinks` may point at the other language.
   */
  page(view: string, context: Record<string, unknown>, opts: StandaloneRenderOptions): string {
    return this.compose(view, { ...context, nav: [], query: {} }, opts);
  }

  private compose(view: string, context: Record<string, unknown>, opts: StandaloneRenderOptions): string {
    const { lang } = opts;
    const title = opts.title ? (this.has(opts.title) ? this.t(lang, opts.title, opts.titleVars) : opts.title) : this.t(lang, 'app.name');
    const full = { ...context, lang, htmlLang: HTML_LANG[lang], title };
    const data = { lang };
    const body = this.template(view)(full, { data });
    return this.template(opts.layout ?? 'console/layout')({ ...full, body }, { data });
  }

  /** Compiles (once) and returns a view's template; tests use it to render fragments. */
  template(view: string): Handlebars.TemplateDelegate {
    const m = VIEW_RE.exec(view);
    if (!m || view.includes('..')) throw new Error(`invalid view name ${JSON.stringify(view)} (expected feature/name)`);
    const file = join(this.root, 'src', m[1]!, 'views', `${m[2]}.hbs`);
    const cached = this.cache.get(view);
    if (cached && !this.reload) return cached.template;
    const mtimeMs = statSync(file).mtimeMs;
    if (cached && cached.mtimeMs === mtimeMs) return cached.template;
    const template = this.hbs.compile(readFileSync(file, 'utf8'), { strict: false, noEscape: false });
    this.cache.set(view, { template, mtimeMs });
    return template;
  }

  /** `?ok=key` / `?err=key` after a redirect: only fixed messages (flash.ok.* / flash.err.*) are shown. */
  private flashOf(req: Request, lang: Lang): { kind: 'ok' | 'err'; message: string } | null {
    for (const kind of ['ok', 'err'] as const) {
      const key = req.query?.[kind];
      if (typeof key === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(key) && this.has(`flash.${kind}.${key}`)) {
        return { kind, message: this.t(lang, `flash.${kind}.${key}`) };
      }
    }
    return null;
  }

  /** Partials: src/console/views/partials/x.hbs as `x`, src/<feature>/views/partials/x.hbs as `feature/x`. */
  private registerPartials(): void {
    const src = join(this.root, 'src');
    for (const feature of readdirSync(src)) {
      const dir = join(src, feature, 'views', 'partials');
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.hbs')) continue;
        const name = feature === 'console' ? basename(f, '.hbs') : `${feature}/${basename(f, '.hbs')}`;
        this.hbs.registerPartial(name, readFileSync(join(dir, f), 'utf8'));
      }
    }
  }
}

/** A cookie from the raw header (whether or not cookie-parser ran). */
export function readCookie(req: Request, name: string): string | undefined {
  const parsed = (req as Request & { cookies?: Record<string, string> }).cookies;
  if (parsed && typeof parsed[name] === 'string') return parsed[name];
  const header = req.headers?.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A local URL with some query parameters set (undefined/'' removes them). */
export function withQuery(url: string, set: Record<string, unknown>): string {
  const u = new URL(url, 'http://local');
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined || v === null || v === '') u.searchParams.delete(k);
    else u.searchParams.set(k, String(v));
  }
  // Flash parameters belong to one view of a page, not to links built from it.
  if (!('ok' in set)) u.searchParams.delete('ok');
  if (!('err' in set)) u.searchParams.delete('err');
  const qs = u.searchParams.toString();
  return `${u.pathname}${qs ? `?${qs}` : ''}`;
}

/** POST → 303 → GET with a fixed flash message (key under flash.ok / flash.err). */
export function redirectWithFlash(res: Response, path: string, key: string, kind: 'ok' | 'err' = 'ok'): void {
  res.redirect(303, withQuery(path, { [kind]: key }));
}

function registerHelpers(hbs: typeof Handlebars, dicts: Dictionaries): void {
  const langOf = (options: Handlebars.HelperOptions | undefined): Lang => {
    const l = options?.data?.lang ?? options?.data?.root?.lang;
    return isLang(l) ? l : DEFAULT_LANG;
  };
  // Helpers receive Handlebars' options object as their last argument.
  const args = (a: unknown[]): { values: unknown[]; options: Handlebars.HelperOptions } => ({
    values: a.slice(0, -1),
    options: a[a.length - 1] as Handlebars.HelperOptions,
  });
  const translate = (lang: Lang, key: string, vars?: Record<string, unknown>) => {
    const text = dicts[lang][key];
    return text === undefined ? key : interpolate(text, vars);
  };

  /** {{t "cases.title"}}, {{t "pager.summary" total=n}}; the result is escaped like any {{ }}. */
  hbs.registerHelper('t', function (key: unknown, options: Handlebars.HelperOptions) {
    return translate(langOf(options), String(key), options.hash);
  });
  /** {{tt "category." code}}: the message of a dynamic key, or the last part itself when unknown. */
  hbs.registerHelper('tt', function (...a: unknown[]) {
    const { values, options } = args(a);
    const key = values.map((v) => String(v ?? '')).join('');
    const text = dicts[langOf(options)][key];
    return text === undefined ? String(values[values.length - 1] ?? '') : interpolate(text, options.hash);
  });
  /** {{pick obj}}: the value for the page's language of a { zh, en } object (rule titles, whys). */
  hbs.registerHelper('pick', function (obj: unknown, options: Handlebars.HelperOptions) {
    if (!obj || typeof obj !== 'object') return obj ?? '';
    const o = obj as Record<string, unknown>;
    return o[langOf(options)] ?? o.zh ?? o.en ?? '';
  });
  hbs.registerHelper('money', (v: unknown) => formatMoney(v));
  hbs.registerHelper('fen', (v: unknown) => (v === null || v === undefined || v === '' ? '—' : formatFen(v as bigint | number | string)));
  hbs.registerHelper('number', (v: unknown, d: unknown) => formatNumber(v, typeof d === 'number' ? d : undefined));
  hbs.registerHelper('percent', (v: unknown, d: unknown) => formatPercent(v, typeof d === 'number' ? d : 1));
  hbs.registerHelper('measure', (v: unknown, unit: unknown) => formatMeasure(v, String(unit ?? 'number')));
  /** {{peerLabel "hospital|3"}}: a risk score's peer group in words. */
  hbs.registerHelper('peerLabel', function (key: unknown, options: Handlebars.HelperOptions) {
    const lang = langOf(options);
    const k = String(key ?? '');
    if (k === '*') return translate(lang, 'peer.all');
    const [kind, level] = k.split('|');
    const kindText = translate(lang, `kind.${kind}`);
    return level === undefined ? translate(lang, 'peer.kind', { kind: kindText }) : translate(lang, 'peer.kindLevel', { kind: kindText, level });
  });
  hbs.registerHelper('date', (v: unknown) => formatDate(v));
  hbs.registerHelper('datetime', (v: unknown) => formatDateTime(v));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b || (a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b)));
  hbs.registerHelper('ne', (a: unknown, b: unknown) => !(a === b || (a != null && b != null && String(a) === String(b))));
  hbs.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  hbs.registerHelper('lt', (a: unknown, b: unknown) => Number(a) < Number(b));
  hbs.registerHelper('and', (...a: unknown[]) => args(a).values.every(Boolean));
  hbs.registerHelper('or', (...a: unknown[]) => args(a).values.some(Boolean));
  hbs.registerHelper('not', (v: unknown) => !v);
  /** {{#if (blank v)}}: null, undefined or '' (0 and false are values). */
  hbs.registerHelper('blank', (v: unknown) => v === null || v === undefined || v === '');
  hbs.registerHelper('concat', (...a: unknown[]) => args(a).values.map((v) => String(v ?? '')).join(''));
  hbs.registerHelper('array', (...a: unknown[]) => args(a).values);
  hbs.registerHelper('json', (v: unknown) => JSON.stringify(v, null, 2));
  /** {{url "/console/audit" query page=2}}: a link keeping the current filters, changing some. */
  hbs.registerHelper('url', function (...a: unknown[]) {
    const { values, options } = args(a);
    const path = String(values[0] ?? '');
    const base = (values[1] && typeof values[1] === 'object' ? values[1] : {}) as Record<string, unknown>;
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) if (typeof v === 'string' && k !== 'ok' && k !== 'err' && k !== 'lang') merged[k] = v;
    Object.assign(merged, options.hash);
    return withQuery(path, merged);
  });
  // The public site's links (see disclosure/public-site.ts): the page's `site` says live or static export.
  const siteOf = (options: Handlebars.HelperOptions): PublicSite => (options.data?.root?.site as PublicSite | undefined) ?? LIVE_SITE;
  /** {{plink "institutions/" code}}: a public page, live or in the static export. */
  hbs.registerHelper('plink', function (...a: unknown[]) {
    const { values, options } = args(a);
    return publicHref(siteOf(options), values.map((v) => String(v ?? '')).join(''));
  });
  /** {{passet "assets/site.css"}}: a stylesheet or open-data file of the public site. */
  hbs.registerHelper('passet', function (...a: unknown[]) {
    const { values, options } = args(a);
    return publicAsset(siteOf(options), values.map((v) => String(v ?? '')).join(''));
  });
  /** {{liveLink "public/tips/new"}}: a page only the running service has (absolute from a static copy, '' when unknown). */
  hbs.registerHelper('liveLink', function (...a: unknown[]) {
    const { values, options } = args(a);
    return liveOnlyHref(siteOf(options), values.map((v) => String(v ?? '')).join('')) ?? '';
  });
  /** {{badge status}}: a status badge with its translated label (class badge-<status>). */
  hbs.registerHelper('badge', function (status: unknown, options: Handlebars.HelperOptions) {
    const s = String(status ?? '');
    const prefix = typeof options.hash?.prefix === 'string' ? options.hash.prefix : 'status.';
    const label = dicts[langOf(options)][`${prefix}${s}`] ?? s;
    const cls = s.replace(/[^a-z0-9_-]/gi, '');
    return new hbs.SafeString(`<span class="badge badge-${cls}">${hbs.escapeExpression(label)}</span>`);
  });
  /** {{riskBadge score}}: the score with its band (high / medium / low). */
  hbs.registerHelper('riskBadge', function (score: unknown, options: Handlebars.HelperOptions) {
    const level = riskLevel(score);
    if (!level) return '—';
    const label = dicts[langOf(options)][`risk.${level}`] ?? level;
    return new hbs.SafeString(
      `<span class="badge badge-risk-${level}">${hbs.escapeExpression(formatNumber(score, 1))} · ${hbs.escapeExpression(label)}</span>`,
    );
  });
}
