import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { diskStorage } from 'multer';
import { Request } from 'express';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ImportJobs } from '../../jobs/import.jobs';
import { ImportProgressBus } from './import-progress.bus';
import { ClaimsController, ImportsController, RejectionsController } from './imports.controller';
import { ImportsService } from './imports.service';
import { ScreeningModule } from '../screening/screening.module';

type UploadRequest = Request & { uploadDir?: string };

@Module({
  imports: [
    ScreeningModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      // Uploads land in DATA_DIR/uploads/<uuid>/ under their own names; API and workers must share DATA_DIR.
      useFactory: (config: AppConfig) => ({
        storage: diskStorage({
          destination: (req, _file, cb) => {
            const r = req as UploadRequest;
            r.uploadDir ??= join(config.dataDir, 'uploads', randomUUID());
            mkdirSync(r.uploadDir, { recursive: true });
            cb(null, r.uploadDir);
          },
          filename: (_req, file, cb) => cb(null, file.fieldname === 'mapping' ? 'column-mapping.yaml' : basename(Buffer.from(file.originalname, 'latin1').toString('utf8'))),
        }),
        limits: { fileSize: config.http.uploadMaxBytes, files: 20 },
      }),
    }),
  ],
  controllers: [ClaimsController, ImportsController, RejectionsController],
  providers: [ImportsService, ImportProgressBus, ImportJobs],
  exports: [ImportsService, ImportProgressBus],
})
export class ImportsModule {}
