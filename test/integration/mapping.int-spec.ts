import 'reflect-metadata';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ImportsService } from '../../src/imports/imports.service';
import { ClaimImportCounts } from '../../src/imports/import-run.entity';
import { createTestContext } from '../support/app';
import { dropSchema, testConfig, uniqueName } from '../support/test-env';

const EXAMPLES = join(__dirname, '..', '..', 'docs', 'examples');

/** The documented example: a bureau's own GBK export with Chinese columns, imported through a mapping file. */
describe('column mapping (docs/examples)', () => {
  const schema = uniqueName('t_map');
  const { config } = testConfig(schema);
  let app: INestApplicationContext;

  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('imports the bureau export of the docs without code changes', async () => {
    app = await createTestContext(config);
    const imports = app.get(ImportsService);
    const { run, job } = await imports.startImport('claims', join(EXAMPLES, 'bureau-export'), { mappingPath: join(EXAMPLES, 'bureau-mapping.yaml') });
    await job.finished();
    const final = await imports.getRun(run.id);
    expect(final.counts as ClaimImportCounts).toMatchObject({ claimsReceived: 4, accepted: 3, rejected: 1, linesStored: 5, orphanLines: 0 });
    const ds = app.get<DataSource>(getDataSourceToken());
    const rows = await ds.query(`SELECT claim_id, visit_type, admission_date::text AS adm, settled_at, secondary_diagnoses, discharge_status FROM claim ORDER BY claim_id`);
    expect(rows[1]).toMatchObject({ claim_id: 'JS202501000002', visit_type: 'inpatient', adm: '2025-01-05', secondary_diagnoses: ['I10', 'E11.9'], discharge_status: 'normal' });
    expect(new Date(rows[1].settled_at).toISOString()).toBe('2025-01-09T08:40:12.000Z'); // 16:40:12 in UTC+8
    // The claim whose visit type the mapping does not know is rejected, naming the value.
    const rej = await imports.listRejections({ importId: run.id, page: 1, pageSize: 10 });
    expect(rej.items).toHaveLength(1);
    expect(rej.items[0]).toMatchObject({ claimId: 'JS202501000004', file: 'claims.csv', line: 5 });
    expect(rej.items[0]!.reasons[0]).toMatchObject({ column: 'visit_type', value: '急诊', reason: 'must be one of outpatient, inpatient, pharmacy' });
  });

  it('refuses a mapping with mistakes before importing anything, naming each', async () => {
    const imports = app.get(ImportsService);
    await expect(imports.startImport('claims', join(EXAMPLES, 'bureau-export'), { mappingPath: join(__dirname, '..', 'fixtures', 'bad-mapping.yaml') })).rejects.toMatchObject({
      errors: expect.arrayContaining([
        expect.objectContaining({ reason: expect.stringMatching(/files\.claims\.columns\.patient_name: claims has no column patient_name/) }),
        expect.objectContaining({ reason: expect.stringMatching(/files\.claims\.dateFormats\.total_amount: total_amount is not a date column/) }),
      ]),
    });
  });
});
