// Runs Google's CSP Evaluator (npm `csp_evaluator`) on each policy given as
// an argument; prints every finding and exits 1 on a high-severity or
// syntax finding.
const { CspEvaluator } = require('csp_evaluator/dist/evaluator.js');
const { CspParser } = require('csp_evaluator/dist/parser.js');
const names = { 10: 'HIGH', 20: 'SYNTAX', 30: 'MEDIUM', 40: 'HIGH_MAYBE', 45: 'STRICT_CSP', 50: 'MEDIUM_MAYBE', 60: 'INFO', 100: 'NONE' };
let failed = false;
for (const policy of process.argv.slice(2)) {
  console.log(`policy: ${policy}`);
  for (const f of new CspEvaluator(new CspParser(policy).csp).evaluate()) {
    const severity = names[f.severity] || String(f.severity);
    console.log(`  ${severity} ${f.directive} ${f.value || ''} - ${f.description}`);
    if (severity === 'HIGH' || severity === 'SYNTAX') failed = true;
  }
}
process.exit(failed ? 1 : 0);
