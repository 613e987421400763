/**
 * The page's script and style, served as /assets/app.js and /assets/app.css (same origin, so the page's Content
 * Security Policy allows no inline script at all). The script only polls fragments the server rendered (and
 * escaped), and posts the unlock after a confirm() dialog; it builds no HTML from data itself.
 */
export const APP_JS = `'use strict';
(function () {
  var live = document.getElementById('live');
  if (live && live.dataset.poll === 'true') {
    var timer = setInterval(function () {
      fetch(live.dataset.src, { headers: { accept: 'text/html' } })
        .then(function (res) {
          if (!res.ok) return;
          var done = res.headers.get('x-trapheus-terminal') === 'true';
          var hash = res.headers.get('x-trapheus-hash');
          return res.text().then(function (html) {
            // Redraw only when the server's rendering changed (the hash of the fragment the page was built with).
            if (hash !== live.dataset.hash) {
              live.dataset.hash = hash;
              // Keep the keyboard focus on the same link or button when the region is redrawn.
              var focused = document.activeElement;
              var key = focused && live.contains(focused) ? focused.getAttribute('href') || focused.dataset.identifier : null;
              live.innerHTML = html;
              if (key) {
                var again = Array.prototype.find.call(live.querySelectorAll('a, button'), function (el) {
                  return (el.getAttribute('href') || el.dataset.identifier) === key;
                });
                if (again) again.focus();
              }
            }
            if (done) clearInterval(timer);
          });
        })
        .catch(function () {});
    }, 2000);
  }
  document.addEventListener('click', function (ev) {
    var button = ev.target.closest && ev.target.closest('button.unlock');
    if (!button) return;
    var identifier = button.dataset.identifier;
    var cluster = button.dataset.cluster === 'true';
    var out = button.parentNode.querySelector('.unlock-result');
    if (!window.confirm('Release the lock on ' + (cluster ? 'cluster ' : 'instance ') + identifier +
        '? Only do this once a person has dealt with the database: another restore of it can then start.')) {
      out.textContent = 'Not unlocked.';
      return;
    }
    fetch('/api/unlock', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: identifier, cluster: cluster, confirm: identifier })
    })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        out.textContent = body.released ? identifier + ' unlocked (it was held by run ' + body.holder + ').' : 'Not unlocked: ' + (body.reason || body.error);
      })
      .catch(function (err) { out.textContent = 'Not unlocked: ' + err; });
  });
})();
`;

export const APP_CSS = `:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #fff; line-height: 1.4; }
body { margin: 0 auto; max-width: 1160px; padding: 0 20px 40px; }
header nav { padding: 10px 0; border-bottom: 1px solid #d0d7de; margin-bottom: 8px; }
h1 { font-size: 1.5rem; margin: 12px 0; } h1 small { font-weight: normal; color: #57606a; font-size: 1rem; }
h2 { font-size: 1.15rem; margin: 18px 0 6px; }
a { color: #0550ae; }
:focus-visible { outline: 3px solid #bf3989; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin-bottom: 6px; }
caption { text-align: left; color: #57606a; padding: 4px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d8dee4; vertical-align: top; }
thead th { background: #f6f8fa; }
.state { font-weight: 600; padding: 1px 6px; border-radius: 4px; border: 1px solid; white-space: nowrap; }
.state-ok { color: #116329; border-color: #116329; background: #dafbe1; }
.state-bad { color: #a40e26; border-color: #a40e26; background: #ffebe9; }
.state-warn { color: #7d4e00; border-color: #7d4e00; background: #fff8c5; }
.state-active { color: #0550ae; border-color: #0550ae; background: #ddf4ff; }
.filters { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0 12px; }
.filters input, .filters select, button { font: inherit; padding: 3px 6px; }
.pager { margin: 8px 0; display: flex; gap: 16px; }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
.summary dt { font-weight: 600; color: #57606a; } .summary dd { margin: 0; }
.gantt { margin: 0; } .gantt svg { max-width: 100%; border: 1px solid #d8dee4; border-radius: 4px; background: #fbfcfd; }
.gantt .label, .gantt .dur { font-size: 12px; fill: #1b1f24; }
.gantt .bar { fill: #218bff; } .gantt .bar.open { fill: #8c959f; }
.gantt .bar-succeeded { fill: #1a7f37; } .gantt .bar-failed, .gantt .bar-rejected { fill: #cf222e; }
.gantt .bar-rolling_back, .gantt .bar-rolled_back { fill: #bf8700; }
figcaption { font-size: 0.85rem; color: #57606a; }
.failure { border-left: 4px solid #cf222e; padding-left: 10px; }
.outcome { max-width: 320px; overflow-wrap: anywhere; }
td time { white-space: nowrap; }
code { background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
`;
