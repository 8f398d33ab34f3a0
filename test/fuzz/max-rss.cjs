// Preloaded into the CLI by cli-budget.test.ts: reports the process's peak RSS and lifetime on exit.
'use strict';
/* global process */
process.on('exit', () => {
  process.stderr.write(`\nmoe-lens-test-budget ${process.resourceUsage().maxRSS} ${Math.round(process.uptime() * 1000)}\n`);
});
