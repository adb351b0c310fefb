import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { parseAnchor } from '../audit/audit.controller';
import { AuditService } from '../audit/audit.service';
import { DomainException } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { withApp } from './cli-support';

@SubCommand({
  name: 'verify',
  description: 'recompute the audit hash chain: prints the first altered, inserted or deleted entry (exit 1), or that the chain holds and its head (exit 0)',
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { anchor?: string; json?: boolean }): Promise<void> {
    let anchor: { seq: string; hash: string } | undefined;
    try {
      anchor = o.anchor ? parseAnchor(o.anchor, '--anchor') : undefined;
    } catch (err) {
      const e = err as DomainException;
      process.stderr.write(`${e.errors.map((x) => `${x.path}: ${x.reason}`).join('\n')}\n`);
      process.exitCode = 2;
      return;
    }
    const r = await withApp(this.config, 'cli', (app) => app.get(AuditService).verify(anchor));
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    } else if (r.ok) {
      process.stdout.write(`audit chain holds: ${r.checked} entr${r.checked === 1 ? 'y' : 'ies'} checked\n`);
      if (r.head) process.stdout.write(`head: ${r.head.seq}:${r.head.hash}\n(publish or note the head; \`audit verify --anchor ${r.head.seq}:<hash>\` later also proves nothing after it was cut off)\n`);
    } else {
      process.stdout.write(`audit chain BROKEN at entry ${r.firstBad!.seq} (${r.firstBad!.problem}): ${r.firstBad!.message}\n`);
      process.stdout.write(`${r.checked} entr${r.checked === 1 ? 'y' : 'ies'} before it hold${r.head ? `; last good entry ${r.head.seq}:${r.head.hash}` : ''}\n`);
    }
    if (!r.ok) process.exitCode = 1;
  }

  @Option({ flags: '--anchor <SEQ:HASH>', description: 'an entry and hash noted earlier (from a previous verify): also proves the chain still reaches it unchanged' })
  parseAnchor(v: string) {
    return v;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson() {
    return true;
  }
}

@Command({ name: 'audit', description: 'the tamper-evident audit trail', subCommands: [AuditVerifyCommand] })
export class AuditCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
