import { Body, Controller, Get, HttpCode, Param, Post, Query, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { isUuid, parsePaging } from '../common/query';
import { ScreeningService } from '../screening/screening.service';
import { ClaimJson, ImportsService } from './imports.service';
import { FILE_SPECS, REFERENCE_FILES } from './interchange';
import { ImportKind } from './import-run.entity';

const MAX_BATCH = 5000;

const claimSchema = {
  type: 'object',
  required: ['claim_id', 'institution_code', 'patient_id', 'patient_gender', 'patient_birth_date', 'insurance_type', 'visit_type', 'admission_date', 'discharge_date', 'total_amount', 'fund_paid', 'self_paid', 'settled_at', 'items'],
  properties: {
    ...Object.fromEntries(FILE_SPECS.claims.map((c) => [c.name, { type: 'string' }])),
    items: {
      type: 'array',
      items: { type: 'object', properties: Object.fromEntries(FILE_SPECS.claim_items.filter((c) => c.name !== 'claim_id').map((c) => [c.name, { type: 'string' }])) },
    },
  },
  example: {
    claim_id: 'C2025010000001', institution_code: 'H64010500001', physician_code: 'D640105000123', patient_id: '640105198001010011',
    patient_gender: 'M', patient_birth_date: '1980-01-01', insurance_type: 'employee', visit_type: 'outpatient',
    admission_date: '2025-01-03', discharge_date: '2025-01-03', primary_diagnosis: 'I10', total_amount: '35.00', fund_paid: '24.50',
    self_paid: '10.50', settled_at: '2025-01-03T10:15:00+08:00',
    items: [{ item_seq: 1, item_code: 'XC08CAA001A001010100001', service_date: '2025-01-03', unit_price: '3.50', quantity: 10, amount: '35.00', days_supply: 10 }],
  },
};

@ApiTags('claims')
@Controller('api/claims')
export class ClaimsController {
  constructor(
    private readonly imports: ImportsService,
    private readonly screening: ScreeningService,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({
    summary: 'Submit a batch of settled claims with their lines (JSON)',
    description: `Same validation as the CSV import; at most ${MAX_BATCH} claims. Each claim is answered: accepted (new), corrected (new version), unchanged, or rejected with field paths and reasons. Rejected claims are kept and listed under /api/rejections.`,
  })
  @ApiBody({ schema: { type: 'object', required: ['claims'], properties: { claims: { type: 'array', items: claimSchema } } } })
  async submit(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const claims = checkClaimsBody(body);
    const result = await this.imports.importClaimsJson(claims, actor);
    // Accepted or corrected claims are screened by a queued job; the response names its run.
    const changed = result.counts.accepted + result.counts.corrected > 0;
    const run = changed ? await this.screening.requestForImport(result.importId) : null;
    return { ...result, screeningRun: run ? { id: run.id, url: `/api/screening-runs/${run.id}` } : null };
  }
}

/** Structural checks of the JSON body (values are checked by the import's own validation). */
function checkClaimsBody(body: unknown): ClaimJson[] {
  const errors: FieldError[] = [];
  const claims = (body as { claims?: unknown } | null)?.claims;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) errors.push({ path: 'body', reason: 'must be a JSON object { "claims": [...] }' });
  else if (!Array.isArray(claims)) errors.push({ path: 'claims', reason: 'must be an array of claims' });
  else if (claims.length === 0) errors.push({ path: 'claims', reason: 'must hold at least one claim' });
  else if (claims.length > MAX_BATCH) errors.push({ path: 'claims', reason: `holds ${claims.length} claims; at most ${MAX_BATCH} per request (use POST /api/imports for files)` });
  else {
    claims.forEach((c, i) => {
      if (c === null || typeof c !== 'object' || Array.isArray(c)) return errors.push({ path: `claims[${i}]`, reason: 'must be an object' });
      const items = (c as ClaimJson).items;
      if (items !== undefined && !Array.isArray(items)) return errors.push({ path: `claims[${i}].items`, reason: 'must be an array of lines' });
      (items ?? []).forEach((it, j) => {
        if (it === null || typeof it !== 'object' || Array.isArray(it)) errors.push({ path: `claims[${i}].items[${j}]`, reason: 'must be an object' });
      });
    });
  }
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'the request body is not a batch of claims', errors);
  return claims as ClaimJson[];
}

@ApiTags('imports')
@Controller('api/imports')
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  @Post()
  @HttpCode(202)
  @Roles('admin', 'supervisor')
  @UseInterceptors(AnyFilesInterceptor())
  @ApiOperation({
    summary: 'Upload interchange CSV files; starts an import job per kind',
    description:
      'Multipart form: the files under any field name, by their contract names (claims.csv, claim_items.csv, institutions.csv, physicians.csv, catalog_items.csv, persons.csv, inspectors.csv, fund_ledger.csv), optionally a column mapping (YAML) in the field "mapping". Reference files and claims in one upload start two imports.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } }, mapping: { type: 'string', format: 'binary' }, kind: { type: 'string', enum: ['claims', 'reference'] } } } })
  async upload(@CurrentActor() actor: Actor, @UploadedFiles() files: Express.Multer.File[] | undefined, @Body('kind') kind?: string) {
    const uploaded = files ?? [];
    if (uploaded.length === 0) throw new DomainException(DomainErrorCode.InvalidInput, 'no files uploaded', [{ path: 'files', reason: 'attach at least one CSV file' }]);
    const dir = uploaded[0]!.destination;
    const mapping = uploaded.find((f) => f.fieldname === 'mapping');
    const names = uploaded.filter((f) => f !== mapping).map((f) => f.filename);
    if (kind !== undefined && kind !== 'claims' && kind !== 'reference') {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid kind', [{ path: 'kind', reason: 'must be claims or reference' }]);
    }
    const kinds: ImportKind[] = kind ? [kind as ImportKind] : await this.imports.detectKinds(dir, mapping?.path);
    if (kinds.length === 0) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'none of the uploaded files is an interchange file', [
        { path: 'files', reason: `got ${names.join(', ')}; expected claims.csv + claim_items.csv and/or ${REFERENCE_FILES.map((f) => `${f}.csv`).join(', ')} (or a mapping naming your files)` },
      ]);
    }
    const runs = [];
    for (const kind of kinds) {
      const { run } = await this.imports.startImport(kind, dir, { mappingPath: mapping?.path, actor });
      runs.push({ id: run.id, kind: run.kind, status: run.status, files: run.files, url: `/api/imports/${run.id}` });
    }
    return { imports: runs };
  }

  @Get()
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'Recent imports' })
  async list() {
    return { imports: await this.imports.listRuns() };
  }

  @Get(':id')
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'An import: status and counts (accepted, corrected, unchanged, rejected, orphan lines)' })
  async get(@Param('id') id: string) {
    if (!isUuid(id)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid import id', [{ path: 'id', reason: 'must be a UUID' }]);
    return this.imports.getRun(id);
  }
}

@ApiTags('imports')
@Controller('api/rejections')
export class RejectionsController {
  constructor(private readonly imports: ImportsService) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'Rejected claims, orphan lines and reference rows, with every reason (paged)' })
  @ApiQuery({ name: 'import', required: false, description: 'import id' })
  @ApiQuery({ name: 'kind', required: false, enum: ['claim', 'orphan_line', 'reference_row'] })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  @ApiOkResponse({ description: '{ total, page, pageSize, items: [{ id, importId, kind, file, line, claimId, reasons: [{ file, line, column, value, reason }], record, resolved }] }' })
  async list(@Query() query: Record<string, unknown>) {
    const paging = parsePaging(query);
    const errors: FieldError[] = [];
    const importId = query.import;
    if (importId !== undefined && !isUuid(importId)) errors.push({ path: 'import', reason: 'must be an import id (UUID)' });
    const kind = query.kind;
    if (kind !== undefined && !['claim', 'orphan_line', 'reference_row'].includes(String(kind))) errors.push({ path: 'kind', reason: 'must be claim, orphan_line or reference_row' });
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', errors);
    return this.imports.listRejections({ importId: importId as string | undefined, kind: kind as string | undefined, ...paging });
  }
}
