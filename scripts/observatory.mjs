// Grades one local HTTPS port with the MDN HTTP Observatory's own retriever,
// tests and grader (the npm package @mdn/mdn-http-observatory). Its CLI only
// scans ports 80/443, so this runs the same steps as its `scan()` with the
// ports passed through. Exit code 1 unless the grade is `want` (default A+).
//
//   node scripts/observatory.mjs <package dir> <host> <https port> <http port> [want]
const [pkg, host, httpsPort, httpPort, want = "A+"] = process.argv.slice(2);
const { retrieve } = await import(`${pkg}/src/retriever/retriever.js`);
const { ALL_TESTS, NUM_TESTS } = await import(`${pkg}/src/constants.js`);
const { getGradeForScore, getScoreModifier } = await import(`${pkg}/src/grader/grader.js`);
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await import(`${pkg}/src/grader/charts.js`);

const r = await retrieve(host, { httpsPort, httpPort });
if (!r.responses.auto) {
  console.error(`no answer from https://${host}:${httpsPort}/`);
  process.exit(1);
}
let passed = 0;
let withCredit = 100;
let uncurved = 100;
const rows = [];
for (const test of ALL_TESTS) {
  const result = test(r);
  if (!result.result) continue;
  const modifier = getScoreModifier(result.result);
  passed += result.pass ? 1 : 0;
  withCredit += modifier;
  if (modifier < 0) uncurved += modifier;
  rows.push(`${result.pass ? "pass" : "FAIL"} ${String(modifier).padStart(4)}  ${result.constructor.name}: ${result.result}`);
}
const score = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withCredit : uncurved;
const { grade } = getGradeForScore(score);
console.log(rows.join("\n"));
console.log(`https://${host}:${httpsPort}/ (status ${r.responses.auto.status}): grade ${grade}, score ${score}, ${passed}/${NUM_TESTS} tests passed`);
process.exit(grade === want ? 0 : 1);
