import { liveOnlyHref, liveSite, publicAsset, publicHref, staticSite } from '../../../src/disclosure/public-site';

describe('public site links (one set of templates for the live site and the static export)', () => {
  it('links live pages under /public, keeping a chosen period', () => {
    expect(publicHref(liveSite(null), '')).toBe('/public');
    expect(publicHref(liveSite(null), 'institutions/H001')).toBe('/public/institutions/H001');
    expect(publicHref(liveSite('2025-03'), 'exposure')).toBe('/public/exposure?period=2025-03');
    expect(publicAsset(liveSite('2025-03'), 'assets/public.css')).toBe('/public/assets/public.css');
    expect(publicAsset(liveSite('2025-03'), 'data/fund-ledger.csv')).toBe('/public/data/fund-ledger.csv?period=2025-03');
  });

  it('links static pages relatively, from any depth and from the English copy', () => {
    expect(publicHref(staticSite(0, null), '')).toBe('index.html');
    expect(publicHref(staticSite(1, null), 'institutions')).toBe('../institutions.html');
    expect(publicHref(staticSite(1, null), 'draws/abc')).toBe('../draws/abc.html');
    // en/institutions/H1.html: pages stay in en/, assets and data are shared at the root.
    expect(publicHref(staticSite(1, null, 1), 'exposure')).toBe('../exposure.html');
    expect(publicAsset(staticSite(1, null, 1), 'assets/public.css')).toBe('../../assets/public.css');
    expect(publicAsset(staticSite(0, null), 'data/exposure.json')).toBe('data/exposure.json');
  });

  it('points a static copy at the live service only when its URL is known', () => {
    expect(liveOnlyHref(liveSite(null), 'public/tips')).toBe('/public/tips');
    expect(liveOnlyHref(staticSite(2, null), 'public/tips')).toBeNull();
    expect(liveOnlyHref(staticSite(2, 'https://ybj.example.gov.cn/'), 'public/tips')).toBe('https://ybj.example.gov.cn/public/tips');
  });

  it('refuses paths that could leave the site', () => {
    expect(() => publicHref(liveSite(null), '../admin')).toThrow('invalid public path');
    expect(() => publicHref(liveSite(null), 'https://evil.example')).toThrow('invalid public path');
    expect(() => publicAsset(staticSite(0, null), '/etc/passwd')).toThrow('invalid public asset');
  });
});
