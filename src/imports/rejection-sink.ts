import { PoolClient } from 'pg';
import { BulkSink, openBulkSink } from '../database/bulk-writer';

/**
 * Writes rejected records (claims with their lines, orphan lines, reference rows) on the import's
 * own connection, inside its transaction. Rows: import_id, kind, file, line, claim_id, reasons
 * (JSON), record (JSON). Few rows next to the data, so a batched insert is enough (also embedded).
 */
export function openRejectionSink(client: PoolClient): BulkSink {
  return openBulkSink(
    client,
    'rejected_record',
    [
      { name: 'import_id', type: 'uuid' },
      { name: 'kind', type: 'text' },
      { name: 'file', type: 'text' },
      { name: 'line', type: 'integer' },
      { name: 'claim_id', type: 'text' },
      { name: 'reasons', type: 'jsonb' },
      { name: 'record', type: 'jsonb' },
    ],
    'unnest',
  );
}
