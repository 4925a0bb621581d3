// quanzi's shared script: live notifications (the unread badge and a
// toast for each new one). Pages add their own small scripts; every page
// works without any of them.
'use strict';
(function () {
  if (!document.body.hasAttribute('data-signed-in') || !window.EventSource) return;
  var badge = document.getElementById('unread');
  var toasts = document.getElementById('toasts');
  var src = new EventSource('/api/v1/notifications/stream');
  src.addEventListener('notification', function (ev) {
    var n;
    try { n = JSON.parse(ev.data); } catch (e) { return; }
    if (badge) {
      var count = (parseInt(badge.getAttribute('data-count'), 10) || 0) + 1;
      badge.setAttribute('data-count', String(count));
      badge.querySelector('.n').textContent = String(count);
      badge.hidden = false;
    }
    if (toasts && n && n.text) {
      var t = document.createElement('div');
      t.className = 'toast';
      var a = document.createElement('a');
      a.href = '/notifications';
      a.textContent = n.text;
      t.appendChild(a);
      toasts.appendChild(t);
      setTimeout(function () { t.remove(); }, 8000);
    }
    document.dispatchEvent(new CustomEvent('quanzi:notification', { detail: n }));
  });
})();
