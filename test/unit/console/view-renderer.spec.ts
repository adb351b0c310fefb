import type { Request, Response } from 'express';
import { loadConfig } from '../../../src/config/config';
import { ViewRenderer, projectRoot, withQuery } from '../../../src/console/view-renderer.service';
import type { Actor } from '../../../src/accounts/roles';

/** A minimal express-like response that records what render sends. */
function fakeRes(query: Record<string, string> = {}, cookie?: string, locals: Record<string, unknown> = {}) {
  const sent: { status?: number; body?: string; cookies: [string, string][]; headers: Record<string, string>; type?: string } = { cookies: [], headers: {} };
  const req = { query, headers: cookie ? { cookie } : {}, path: '/console', originalUrl: `/console${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`, secure: false } as unknown as Request;
  const res = {
    req,
    locals,
    status(s: number) {
      sent.status = s;
      return this;
    },
    type(t: string) {
      sent.type = t;
      return this;
    },
    setHeader(k: string, v: string) {
      sent.headers[k] = v;
    },
    cookie(name: string, value: string) {
      sent.cookies.push([name, value]);
    },
    send(b: string) {
      sent.body = b;
    },
  } as unknown as Response;
  return { res, sent };
}

const supervisor: Actor = { userId: '1', name: '<b>王稽核</b>', role: 'supervisor', institutionCode: null };

describe('ViewRenderer', () => {
  const views = new ViewRenderer(loadConfig({ NODE_ENV: 'test' } as NodeJS.ProcessEnv));

  it('finds the project root holding package.json and src/', () => {
    expect(projectRoot()).toBe(views.root);
  });

  it('renders a view inside the layout in Chinese by default, escaping data', () => {
    const { res, sent } = fakeRes({}, undefined, { actor: supervisor, csrfToken: 'tok123' });
    views.render(res, 'console/error', { heading: '<script>x</script>', errors: [] }, { title: 'error.status404', status: 404 });
    expect(sent.status).toBe(404);
    expect(sent.body).toContain('<html lang="zh-CN">');
    expect(sent.body).toContain('<title>页面不存在');
    expect(sent.body).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(sent.body).not.toContain('<script>');
    expect(sent.body).toContain('&lt;b&gt;王稽核&lt;/b&gt;');
    expect(sent.body).toContain('value="tok123"');
    expect(sent.body).toContain('稽核员');
    expect(sent.body).toContain('href="/console/rules"');
    expect(sent.body).not.toContain('href="/console/queues"');
    expect(sent.headers['Cache-Control']).toBe('no-store');
  });

  it('switches to English with ?lang=en and remembers it in a cookie', () => {
    const { res, sent } = fakeRes({ lang: 'en' }, undefined, { actor: supervisor });
    views.render(res, 'console/error', { heading: 'x' }, { title: 'error.status403' });
    expect(sent.body).toContain('<html lang="en">');
    expect(sent.body).toContain('<title>Forbidden');
    expect(sent.cookies).toEqual([['fg_lang', 'en']]);
    const again = fakeRes({}, 'other=1; fg_lang=en');
    views.render(again.res, 'console/error', { heading: 'x' });
    expect(again.sent.body).toContain('<html lang="en">');
    expect(again.sent.cookies).toEqual([]);
  });

  it('shows only fixed flash messages', () => {
    const ok = fakeRes({ ok: 'confirmed' });
    views.render(ok.res, 'console/error', { heading: 'x' });
    expect(ok.sent.body).toContain('class="flash flash-ok"');
    expect(ok.sent.body).toContain('已确认');
    const forged = fakeRes({ ok: '<i>pwned</i>' });
    views.render(forged.res, 'console/error', { heading: 'x' });
    expect(forged.sent.body).not.toContain('pwned');
    expect(forged.sent.body).not.toContain('class="flash');
  });

  it('refuses view names that leave the source tree', () => {
    expect(() => views.template('../etc/passwd')).toThrow(/invalid view name/);
    expect(() => views.template('console/../../x')).toThrow(/invalid view name/);
  });

  it('has helpers for money, translation, badges and links', () => {
    // Handlebars escapes = as &#x3D; inside {{ }}: browsers read it back as =.
    const tpl = (views as unknown as { hbs: typeof import('handlebars') }).hbs.compile(
      '{{money a}}|{{fen b}}|{{t "pager.summary" total=3 page=1 pages=1}}|{{badge s}}|{{tt "category." c}}|{{url "/x" q page=2}}|{{pick w}}|{{riskBadge 72.5}}',
    );
    const out = tpl({ a: '1234.5', b: 123456, s: 'open', c: 'PRICE_CEILING', q: { status: 'open', ok: 'saved' }, w: { zh: '中', en: 'E' } }, { data: { lang: 'en' } });
    expect(out).toBe(
      '¥1,234.50|¥1,234.56|3 in all, page 1 of 1|<span class="badge badge-open">open</span>|Price above the ceiling|/x?status&#x3D;open&amp;page&#x3D;2|E|<span class="badge badge-risk-high">72.5 · high risk</span>',
    );
  });

  it('names peer groups and formats risk features by unit', () => {
    const hbs = (views as unknown as { hbs: typeof import('handlebars') }).hbs;
    const tpl = hbs.compile('{{peerLabel "hospital|3"}}|{{peerLabel "pharmacy"}}|{{peerLabel "*"}}|{{measure a "ratio"}}|{{measure b "number"}}|{{measure c "number"}}|{{measure d "yuan"}}|{{measure e "days"}}|{{measure n "ratio"}}');
    const ctx = { a: 0.5, b: 3, c: 2.345, d: 1234.5, e: 7.25, n: null };
    expect(tpl(ctx, { data: { lang: 'zh' } })).toBe('同级同类（3级医院）|同类（定点药店）|全部机构|50.0%|3|2.35|¥1,234.50|7.3|—');
    expect(tpl(ctx, { data: { lang: 'en' } })).toBe('same kind and level (hospital, level 3)|same kind (pharmacy)|all institutions|50.0%|3|2.35|¥1,234.50|7.3|—');
  });

  it('builds links that drop flash parameters', () => {
    expect(withQuery('/console/cases?ok=confirmed&status=open', { lang: 'en' })).toBe('/console/cases?status=open&lang=en');
    expect(withQuery('/console?lang=zh', { lang: undefined })).toBe('/console');
  });
});
