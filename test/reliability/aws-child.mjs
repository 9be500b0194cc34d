// One `run` or `follow-up` as a process of its own over the built wiring on AWS's backends (S3 store
// and owners file, SES, EventBridge, the signing key in Secrets Manager) — the SDK pointed by the
// environment at moto or at a fault proxy in front of it — with detection replaced by findings read
// from a file. Test code only: the reliability suite kills it with SIGKILL mid-call, as a crash or
// the Lambda timeout would. Prints one JSON line: the run record and what delivery did; a thrown
// error goes to stderr as the product describes it, and the exit code is 1.
// Usage: node aws-child.mjs '{"command":"run","now":"ISO","config":{…},"findings":"FILE","asOfDays":[…]}'
import { readFileSync } from 'node:fs';

const dist = new URL('../../dist/functions/', import.meta.url);
const load = (p) => import(new URL(p, dist).href);
const { openNotifyPorts } = await load('adapters/open-ports.js');
const { sentinelEnvironment } = await load('adapters/environment.js');
const { runPipeline } = await load('core/commands/run.js');
const { followUp } = await load('core/commands/follow-up.js');
const { fixedDetection } = await load('core/detect/contract.js');
const { parseConfig } = await load('core/config.js');
const { createLogger } = await load('adapters/logger/console.js');
const { fixedClock } = await load('core/ports.js');
const { describeError } = await load('core/errors.js');

const args = JSON.parse(process.argv[2]);
try {
  const config = parseConfig(args.config);
  const clock = fixedClock(args.now);
  const log = createLogger({ format: 'json' });
  const ports = await openNotifyPorts(config, { clock, log, environment: sentinelEnvironment(process.env) });
  const findings = args.findings ? JSON.parse(readFileSync(args.findings, 'utf8')) : [];
  const started = Date.now();
  const result =
    args.command === 'follow-up'
      ? await followUp(ports, config)
      : await runPipeline({ ...ports, detect: fixedDetection(findings) }, config, {
          ...(args.asOfDays ? { asOfDays: args.asOfDays } : {}),
        });
  process.stdout.write(
    `${JSON.stringify({
      ms: Date.now() - started,
      run: result.run,
      leaseTaken: result.delivery.leaseTaken,
      messages: result.delivery.messages,
    })}\n`,
  );
} catch (error) {
  process.stderr.write(`${describeError(error)}\n`);
  process.exit(1);
}
