import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Lang } from '../console/i18n';
import { ViewRenderer } from '../console/view-renderer.service';
import { DisclosureService } from './disclosure.service';
import { OpenData, datasetCsv, datasetJson } from './open-data';
import { publicStylesheets } from './public-assets';
import { LocalisedPage, PublicPage, PublicPages } from './public-pages';
import { staticSite } from './public-site';

export interface ExportSummary {
  outDir: string;
  period: string;
  pages: number;
  dataFiles: number;
  files: number;
  bytes: number;
  ms: number;
}

const MANIFEST = 'manifest.json';

/**
 * `fundguard publish`: the public site for one period as static files (Chinese at the root, English
 * under en/), every draw with its JSON, the open data as CSV and JSON, and a manifest with each
 * file's SHA-256 — a folder to upload to a government website as it is. Written to a temporary
 * folder and moved into place, so a failed export leaves the previous one intact.
 */
@Injectable()
export class SiteExporter {
  private readonly logger = new Logger('Publish');

  constructor(
    private readonly pages: PublicPages,
    private readonly disclosure: DisclosureService,
    private readonly openData: OpenData,
    private readonly views: ViewRenderer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async export(period: string, outDir: string, onProgress?: (done: number, total: number) => void): Promise<ExportSummary> {
    const started = Date.now();
    const p = await this.disclosure.resolvePeriod(period);
    const out = resolve(outDir);
    await this.checkTarget(out);
    const tmp = `${out}.tmp-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    const files = new Map<string, Buffer>();
    const put = (path: string, content: string | Buffer) => files.set(path, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'));
    try {
      const generatedAt = new Date();
      // Each source is read once: every institution's record in one pass, each page once for both languages.
      const records = await this.disclosure.institutionRecords(p);
      const datasets = await this.openData.all(p, new Map(records.map((r) => [r.institution.code, r.fees])));
      const { plans } = await this.disclosure.inspectionsPublic();
      const drawIds = plans.flatMap((pl) => pl.draws.map((d) => d.id));

      // [path, builder] with path '' for the home page.
      const builders: [string, () => Promise<LocalisedPage> | LocalisedPage][] = [
        ['', () => this.pages.fund(p)],
        ['institutions', () => this.pages.institutions()],
        ...records.map((r): [string, () => LocalisedPage] => [`institutions/${r.institution.code}`, () => this.pages.institution(r)]),
        ['inspections', () => this.pages.inspectionsPage()],
        ...drawIds.map((id): [string, () => Promise<LocalisedPage>] => [`draws/${id}`, () => this.pages.draw(id)]),
        ['exposure', () => this.pages.exposure()],
        ['data', () => this.pages.data(datasets.map((d) => ({ name: d.name, rows: d.rows.length })))],
      ];
      const total = builders.length * 2;
      let done = 0;
      for (const [path, build] of builders) {
        const page = await build();
        for (const lang of ['zh', 'en'] as const) {
          put(this.fileOf(path, lang), this.render(path, lang, page(lang), p, generatedAt));
          onProgress?.(++done, total);
        }
      }
      for (const id of drawIds) put(`draws/${id}.json`, `${JSON.stringify(await this.pages.drawJson(id), null, 2)}\n`);
      const meta = { period: p, generatedAt, minCell: this.config.disclosure.minCell };
      for (const d of datasets) {
        put(`data/${d.name}.csv`, datasetCsv(d));
        put(`data/${d.name}.json`, datasetJson(d, meta));
      }
      for (const [name, css] of Object.entries(publicStylesheets(this.views.root))) put(`assets/${name}`, css);
      const listing = [...files.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([path, content]) => ({ path, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') }));
      put(
        MANIFEST,
        `${JSON.stringify({ generator: 'fundguard publish', period: p, generatedAt: generatedAt.toISOString(), suppression: { minPatients: meta.minCell }, liveUrl: this.config.http.publicUrl ?? null, files: listing }, null, 2)}\n`,
      );
      for (const [path, content] of files) {
        const target = join(tmp, path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content);
      }
      if (existsSync(out)) await rm(out, { recursive: true, force: true });
      await rename(tmp, out);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    const bytes = [...files.values()].reduce((s, b) => s + b.length, 0);
    const pages = [...files.keys()].filter((f) => f.endsWith('.html')).length;
    const summary = { outDir: out, period: p, pages, dataFiles: [...files.keys()].filter((f) => f.startsWith('data/')).length, files: files.size, bytes, ms: Date.now() - started };
    this.logger.log(`published ${summary.pages} pages and ${summary.dataFiles} data files for ${p} to ${out} in ${summary.ms} ms`);
    return summary;
  }

  /** An existing folder is replaced only when it is an earlier export (it has our manifest) or empty. */
  private async checkTarget(out: string): Promise<void> {
    if (!existsSync(out)) return;
    const entries = await readdir(out);
    if (entries.length === 0) return;
    if (entries.includes(MANIFEST)) {
      try {
        const m = JSON.parse(await readFile(join(out, MANIFEST), 'utf8')) as { generator?: string };
        if (m.generator === 'fundguard publish') return;
      } catch {
        // not ours: refused below
      }
    }
    throw new Error(`--out ${out} exists and is not an earlier export (no fundguard manifest.json): choose an empty or new folder`);
  }

  /** '' → index.html; 'institutions/H1' → institutions/H1.html; English under en/. */
  private fileOf(path: string, lang: Lang): string {
    return `${lang === 'en' ? 'en/' : ''}${path === '' ? 'index' : path}.html`;
  }

  private render(path: string, lang: Lang, page: PublicPage, period: string, generatedAt: Date): string {
    const depth = path === '' ? 0 : path.split('/').length - 1;
    const up = '../'.repeat(depth);
    const name = `${path === '' ? 'index' : path}.html`;
    // The other language's copy of this page: en/ one level down, or back up from it.
    const langLinks = lang === 'zh' ? { zh: `${up}${name.split('/').pop()}`, en: `${up}en/${name}` } : { zh: `${up}../${name}`, en: `${up}${name.split('/').pop()}` };
    return this.views.page(
      page.view,
      { ...this.pages.common(period), ...page.context, periods: [], site: staticSite(depth, this.config.http.publicUrl ?? null, lang === 'en' ? 1 : 0), section: page.section, generatedAt, langLinks },
      { lang, title: page.title, titleVars: page.titleVars, layout: 'disclosure/layout' },
    );
  }
}
