// The wallet pages' small helpers; every page works without them.
// - Forms marked data-once disable their button once sent, so an eager
//   second tap does not even reach the server (which would take it once
//   anyway: the form carries an idempotency key).
// - The payment PIN field shows only when the amount typed needs it.
// - A "Copy" button copies a payment request's link.
'use strict';
(function () {
  document.querySelectorAll('form[data-once]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var b = form.querySelector('button:not([type=button])');
      if (b) setTimeout(function () { b.disabled = true; }, 0);
    });
  });

  document.querySelectorAll('[data-pin-field]').forEach(function (field) {
    var form = field.closest('form');
    var amount = form && form.querySelector('input[name=amount]');
    if (!amount || field.classList.contains('bad')) return;
    var threshold = parseInt(field.getAttribute('data-threshold'), 10);
    var update = function () {
      var v = amount.value.replace(/[¥,\s]/g, '');
      var fen = Math.round(parseFloat(v) * 100);
      field.hidden = !isNaN(fen) && fen <= threshold;
    };
    amount.addEventListener('input', update);
    update();
  });

  document.querySelectorAll('[data-copy]').forEach(function (btn) {
    var input = document.getElementById(btn.getAttribute('data-copy'));
    if (!input || !navigator.clipboard) return;
    var label = btn.textContent;
    btn.hidden = false;
    btn.addEventListener('click', function () {
      navigator.clipboard.writeText(input.value).then(function () {
        btn.textContent = '✓';
        setTimeout(function () { btn.textContent = label; }, 1500);
      });
    });
  });
})();
