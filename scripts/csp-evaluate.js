// Runs Google's CSP Evaluator (npm `csp_evaluator`) on each policy given as
// an argument; prints every finding and exits 1 on a high-severity or
// syntax finding. With `--compare BASE PROPOSED`: exits 1 when PROPOSED has
// a high-severity or syntax finding that BASE has not (the wizard's gate).
const { CspEvaluator } = require('csp_evaluator/dist/evaluator.js');
const { CspParser } = require('csp_evaluator/dist/parser.js');
const names = { 10: 'HIGH', 20: 'SYNTAX', 30: 'MEDIUM', 40: 'HIGH_MAYBE', 45: 'STRICT_CSP', 50: 'MEDIUM_MAYBE', 60: 'INFO', 100: 'NONE' };
const findings = (policy) =>
  new CspEvaluator(new CspParser(policy).csp).evaluate().map((f) => ({ ...f, name: names[f.severity] || String(f.severity) }));
const bad = (f) => f.name === 'HIGH' || f.name === 'SYNTAX';
if (process.argv[2] === '--compare') {
  const [base, proposed] = process.argv.slice(3);
  const key = (f) => `${f.name} ${f.directive} ${f.value || ''} ${f.description}`;
  const before = new Set(findings(base).filter(bad).map(key));
  const added = findings(proposed).filter(bad).map(key).filter((k) => !before.has(k));
  console.log(`base:     ${base}\nproposed: ${proposed}`);
  for (const k of added) console.log(`  new ${k}`);
  console.log(added.length ? 'the proposal adds high-severity findings' : 'no new high-severity finding');
  process.exit(added.length ? 1 : 0);
}
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
