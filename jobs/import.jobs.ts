import { Injectable, OnModuleInit } from '@nestjs/common';
import { ImportsService } from '../src/imports/imports.service';
import { JobHandlerRegistry } from './job-handler.registry';

/** Import jobs: thin, they call the imports service. */
@Injectable()
export class ImportJobs implements OnModuleInit {
  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly imports: ImportsService,
  ) {}

  onModuleInit() {
    this.registry.register('import.claims', (job, ctx) => this.imports.runImport(job.data.importId, ctx));
    this.registry.register('import.reference', (job, ctx) => this.imports.runImport(job.data.importId, ctx));
  }
}
