// The reporting demo's own script (/demo/reporting): served from
// examples/static with its `integrity` (the SRI helper), it breaks each
// report-only policy of the page once, so the browser reports it.
(function () {
  var page = document.getElementById('reporting-demo');
  var other = page.dataset.otherOrigin;
  function say(id, text) { document.getElementById(id).textContent = text; }

  // Deprecation: an `unload` listener (Chromium reports `UnloadHandler`).
  window.addEventListener('unload', function () {});
  say('deprecation', 'An unload listener was added.');

  // Permissions-Policy-Report-Only `geolocation=()`: asking is enough.
  navigator.geolocation.getCurrentPosition(function () {}, function () {});
  say('geolocation', 'The position was asked for.');

  // Cross-Origin-Opener-Policy-Report-Only `same-origin`: a popup on
  // another origin would lose its opener under the enforced policy.
  function openOther() {
    var w = window.open(other + '/demo/reporting/opened', 'reporting-demo-popup');
    say('coop', w ? 'A window on ' + other + ' was opened.' : 'Your browser blocked the popup: use the button.');
  }
  document.getElementById('open-other').addEventListener('click', openOther);
  openOther();
  say('script-ran', 'The page\'s own script (with integrity) ran.');
})();
