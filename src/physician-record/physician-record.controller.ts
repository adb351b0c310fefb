import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { SanctionKind } from './physician-points';
import { PhysicianRecordService, SanctionFilter } from './physician-record.service';

const KINDS: SanctionKind[] = ['suspension', 'termination'];
const CODE = /^[\w.-]{1,64}$/;

/** Query string of GET /api/physician-sanctions (and the console's list); every bad field named. */
export function parseSanctionFilter(q: Record<string, unknown>, paging: { page: number; pageSize: number }): SanctionFilter {
  const errors: FieldError[] = [];
  const f: SanctionFilter = { ...paging };
  const str = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') {
      errors.push({ path: name, reason: 'must be given once' });
      return undefined;
    }
    return v.trim();
  };
  const active = str('active');
  if (active !== undefined) {
    if (active === 'true' || active === 'false') f.active = active === 'true';
    else errors.push({ path: 'active', reason: 'must be true or false' });
  }
  for (const [name, key] of [['institution', 'institution'], ['physician', 'physician']] as const) {
    const v = str(name);
    if (v === undefined) continue;
    if (CODE.test(v)) f[key] = v.toUpperCase();
    else errors.push({ path: name, reason: `must be ${name === 'institution' ? 'an institution' : 'a physician'} code` });
  }
  const kind = str('kind');
  if (kind !== undefined) {
    if (KINDS.includes(kind as SanctionKind)) f.kind = kind as SanctionKind;
    else errors.push({ path: 'kind', reason: `must be ${KINDS.join(' or ')}` });
  }
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', errors);
  return f;
}

@ApiTags('physicians')
@Controller('api')
export class PhysicianRecordController {
  constructor(private readonly record: PhysicianRecordService) {}

  @Get('physicians/:code/points')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({
    summary: "A physician's points record (驾照式记分): points per year, entries with their cases, suspensions and terminations, and the qualification today",
    description: 'An institution login reads only its own physicians (another code is a 404).',
  })
  async points(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return this.record.record(code, actor);
  }

  @Get('physician-sanctions')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'Suspensions and terminations of physicians\' insurance-payment qualification, newest first; active=true: in force today' })
  @ApiQuery({ name: 'active', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'institution', required: false, description: "the physician's institution (an institution login: its own only)" })
  @ApiQuery({ name: 'physician', required: false })
  @ApiQuery({ name: 'kind', required: false, enum: KINDS })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  async sanctions(@Query() query: Record<string, unknown>, @CurrentActor() actor: Actor) {
    return this.record.sanctions(parseSanctionFilter(query, parsePaging(query, 500)), actor);
  }
}
