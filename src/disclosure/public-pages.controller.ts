import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ViewRenderer } from '../console/view-renderer.service';
import { DisclosureService } from './disclosure.service';
import { publicStylesheets } from './public-assets';
import { OPEN_DATASETS, OpenData, datasetCsv, datasetJson, isOpenDataset } from './open-data';
import { LocalisedPage, PublicPages } from './public-pages';
import { liveSite } from './public-site';

/** Open data files may sit in shared caches briefly: aggregates only, the same for everyone. (Pages vary by the language cookie: not cached.) */
const PUBLIC_CACHE = 'public, max-age=300';

/**
 * The public disclosure site (信息公开), no login: the fund, the institutions, double-random
 * inspections and their draws, the exposed cases and the open data. Each page takes `?period=YYYY-MM`
 * (default: the newest month with data). `fundguard publish` renders the same pages to static files.
 */
@ApiExcludeController()
@Controller('public')
export class PublicPagesController {
  private readonly assets: Record<string, string>;

  constructor(
    private readonly pages: PublicPages,
    private readonly disclosure: DisclosureService,
    private readonly openData: OpenData,
    private readonly views: ViewRenderer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.assets = publicStylesheets(views.root);
  }

  private async send(res: Response, localised: LocalisedPage, period: string, explicit: boolean): Promise<void> {
    const page = localised(this.views.langOf(res.req));
    const periods = await this.disclosure.periods();
    this.views.render(
      res,
      page.view,
      { ...this.pages.common(period), ...page.context, periods, site: liveSite(explicit ? period : null), section: page.section },
      { title: page.title, titleVars: page.titleVars, layout: 'disclosure/layout' },
    );
  }

  @Get()
  @Public()
  async home(@Query('period') p: unknown, @Res() res: Response) {
    const period = await this.disclosure.resolvePeriod(p);
    await this.send(res, await this.pages.fund(period), period, p !== undefined);
  }

  @Get('institutions')
  @Public()
  async institutions(@Query('period') p: unknown, @Query('kind') kind: unknown, @Res() res: Response) {
    const period = await this.disclosure.resolvePeriod(p);
    if (kind !== undefined && kind !== '' && (typeof kind !== 'string' || !/^[a-z_]{1,32}$/.test(kind))) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'kind must be an institution kind', [{ path: 'kind', reason: 'must be hospital, primary_care, clinic or pharmacy' }]);
    }
    await this.send(res, await this.pages.institutions((kind as string) || undefined), period, p !== undefined);
  }

  @Get('institutions/:code')
  @Public()
  async institution(@Param('code') code: string, @Query('period') p: unknown, @Res() res: Response) {
    const period = await this.disclosure.resolvePeriod(p);
    await this.send(res, this.pages.institution(await this.disclosure.institution(code, period)), period, p !== undefined);
  }

  @Get('inspections')
  @Public()
  async inspections(@Query('period') p: unknown, @Res() res: Response) {
    const period = await this.disclosure.resolvePeriod(p);
    await this.send(res, await this.pages.inspectionsPage(), period, p !== undefined);
  }

  @Get('exposure')
  @Public()
  async exposure(@Query('period') p: unknown, @Res() res: Response) {
    const period = await this.disclosure.resolvePeriod(p);
    await this.send(res, await this.pages.exposure(), period, p !== undefined);
  }

  @Get('data')
  @Public()
  async data(@Query('period') p: unknown, @Res() res: Response) {
    const period = await this.disclosure.resolvePeriod(p);
    const sets = await this.openData.all(period);
    await this.send(res, this.pages.data(sets.map((d) => ({ name: d.name, rows: d.rows.length }))), period, p !== undefined);
  }

  /** An open dataset as CSV or JSON: `/public/data/fund-ledger.csv?period=2025-03`. */
  @Get('data/:file')
  @Public()
  async dataFile(@Param('file') file: string, @Query('period') p: unknown, @Res() res: Response) {
    const m = /^([a-z-]+)\.(csv|json)$/.exec(file);
    if (!m || !isOpenDataset(m[1]!)) {
      throw new DomainException(DomainErrorCode.NotFound, `no open dataset ${file}`, [{ path: 'file', reason: `must be one of ${OPEN_DATASETS.map((d) => `${d}.csv|json`).join(', ')}` }]);
    }
    const period = await this.disclosure.resolvePeriod(p);
    const d = await this.openData.build(m[1], period);
    res.setHeader('Cache-Control', PUBLIC_CACHE);
    res.setHeader('Content-Disposition', `attachment; filename="${d.name}-${period}.${m[2]}"`);
    if (m[2] === 'csv') res.type('text/csv; charset=utf-8').send(datasetCsv(d));
    else res.type('application/json; charset=utf-8').send(datasetJson(d, { period, generatedAt: new Date(), minCell: this.config.disclosure.minCell }));
  }

  /** A draw's public page (with its verification) and `<id>.json`, the published data to recompute it. */
  @Get('draws/:id')
  @Public()
  async draw(@Param('id') id: string, @Res() res: Response) {
    if (id.endsWith('.json')) {
      const j = await this.pages.drawJson(id.slice(0, -5));
      res.setHeader('Content-Disposition', `attachment; filename="draw-${j.draw.id}.json"`);
      res.type('application/json').send(`${JSON.stringify(j, null, 2)}\n`);
      return;
    }
    const period = await this.disclosure.resolvePeriod(undefined);
    await this.send(res, await this.pages.draw(id), period, false);
  }

  @Get('assets/:file')
  @Public()
  asset(@Param('file') file: string, @Res() res: Response) {
    const css = this.assets[file];
    if (css === undefined) throw new DomainException(DomainErrorCode.NotFound, `no asset ${file}`, [{ path: 'file', reason: 'no such stylesheet' }]);
    res.type('text/css; charset=utf-8');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.send(css);
  }
}
