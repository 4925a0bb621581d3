// quanzi's shared script: live notifications (the unread badge and a
// toast for each new one). Pages add their own small scripts; every page
// works without any of them.
//
// The stream says that something came; the sentence a toast shows comes
// from the server in the page's language (GET /notifications/latest), so
// this script holds no words of its own.
'use strict';
(function () {
  if (!document.body.hasAttribute('data-signed-in') || !window.EventSource || !window.fetch) return;
  var badge = document.getElementById('unread');
  var toasts = document.getElementById('toasts');
  var shown = 0; // the highest seq toasted
  var pending = null;

  function setBadge(count) {
    if (!badge) return;
    badge.setAttribute('data-count', String(count));
    badge.querySelector('.n').textContent = String(count);
    badge.hidden = count < 1;
  }

  function addToast(item) {
    if (!toasts) return;
    var t = document.createElement('div');
    t.className = 'toast';
    t.setAttribute('data-seq', String(item.seq));
    var a = document.createElement('a');
    a.href = item.href || '/notifications';
    a.textContent = item.text;
    t.appendChild(a);
    toasts.appendChild(t);
    setTimeout(function () { t.remove(); }, 8000);
  }

  // fetchLatest asks for the sentences of what came after the last toast;
  // notifications arriving while it runs are fetched once it is done.
  function fetchLatest(seq) {
    if (pending) { pending.again = true; return; }
    pending = { again: false };
    var after = shown || seq - 1;
    fetch('/notifications/latest?after=' + encodeURIComponent(String(after)), {
      credentials: 'same-origin', headers: { 'Accept': 'application/json' }
    }).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      return res.json();
    }).then(function (data) {
      setBadge(data.unread || 0);
      (data.items || []).forEach(function (item) {
        if (item.seq > shown) {
          shown = item.seq;
          addToast(item);
        }
      });
    }).catch(function () {
      setBadge((parseInt(badge && badge.getAttribute('data-count'), 10) || 0) + 1);
    }).then(function () {
      var again = pending.again;
      pending = null;
      if (again) fetchLatest(shown + 1);
    });
  }

  var src = new EventSource('/api/v1/notifications/stream');
  src.addEventListener('notification', function (ev) {
    var n;
    try { n = JSON.parse(ev.data); } catch (e) { return; }
    var seq = n && typeof n.seq === 'number' ? n.seq : parseInt(ev.lastEventId, 10) || 0;
    if (seq && seq <= shown) return;
    fetchLatest(seq);
    document.dispatchEvent(new CustomEvent('quanzi:notification', { detail: n }));
  });
})();
