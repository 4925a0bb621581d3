// The conversation page: keep the latest message in view, and mark the
// conversation read once it is open (the page's "Mark as read" button
// does the same without this script).
'use strict';
(function () {
  var latest = document.getElementById('latest');
  if (latest && !location.hash) latest.scrollIntoView({ block: 'end' });
  var form = document.getElementById('mark-read');
  if (!form || !window.fetch) return;
  fetch(form.action, {
    method: 'POST', credentials: 'same-origin', body: new URLSearchParams(new FormData(form)),
    headers: { 'X-Requested-With': 'fetch' }
  }).then(function (res) {
    if (res.ok) form.hidden = true;
  }).catch(function () {});
})();
