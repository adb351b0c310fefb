import { Injectable, OnModuleInit } from '@nestjs/common';
import { ImportsService } from '../src/imports/imports.service';
import { ClaimImportCounts } from '../src/imports/import-run.entity';
import { ScreeningService } from '../src/screening/screening.service';
import { JobHandlerRegistry } from './job-handler.registry';

/** Import jobs: thin, they call the imports service, then ask for the screening of what was imported. */
@Injectable()
export class ImportJobs implements OnModuleInit {
  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly imports: ImportsService,
    private readonly screening: ScreeningService,
  ) {}

  onModuleInit() {
    this.registry.register('import.claims', async (job, ctx) => {
      const counts = (await this.imports.runImport(job.data.importId, ctx)) as ClaimImportCounts | null;
      // Every import of claims is followed by its screening (a job of its own, idempotent per import).
      if (counts && counts.accepted + counts.corrected > 0) await this.screening.requestForImport(job.data.importId);
      return counts;
    });
    this.registry.register('import.reference', (job, ctx) => this.imports.runImport(job.data.importId, ctx));
  }
}
