import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { ConsoleModule } from '../console/console.module';
import { InspectionsModule } from '../inspections/inspections.module';
import { DisclosureCharts } from './disclosure-charts';
import { DisclosureService } from './disclosure.service';
import { OpenData } from './open-data';
import { PublicPages } from './public-pages';
import { PublicPagesController } from './public-pages.controller';
import { SiteExporter } from './site-exporter';

/**
 * 信息公开: the public disclosure site (fund, institutions, inspections, exposure, open data), its
 * charts, and the static export. Credit grades come from the application's one CreditModule.
 */
@Module({
  imports: [CasesModule, ConsoleModule, InspectionsModule],
  controllers: [PublicPagesController],
  providers: [DisclosureService, DisclosureCharts, PublicPages, OpenData, SiteExporter],
  exports: [DisclosureService, SiteExporter],
})
export class DisclosureModule {}
