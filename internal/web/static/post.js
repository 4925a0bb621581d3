// Circles and posts: previews of the pictures chosen in the composer, and
// the tip dialog. Both only add to forms that work without them: the
// composer posts as it is, and the tip button is a link to the tip page.
'use strict';
(function () {
  // Picture previews: the chosen files shown before they are sent.
  var input = document.getElementById('f-pictures');
  var previews = document.getElementById('previews');
  if (input && previews && window.URL && URL.createObjectURL) {
    var urls = [];
    input.addEventListener('change', function () {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      previews.textContent = '';
      var files = Array.prototype.slice.call(input.files || []);
      var max = parseInt(input.getAttribute('data-max'), 10) || 9;
      var n = files.length;
      previews.className = 'pics previews n' + Math.min(n, max);
      files.slice(0, max).forEach(function (f, i) {
        if (!/^image\//.test(f.type)) return;
        var u = URL.createObjectURL(f);
        urls.push(u);
        var img = document.createElement('img');
        img.src = u;
        img.alt = f.name;
        img.title = f.name;
        img.setAttribute('data-index', String(i));
        previews.appendChild(img);
      });
      if (n > max) {
        var p = document.createElement('p');
        p.className = 'err';
        p.textContent = input.getAttribute('data-too-many') || '';
        previews.appendChild(p);
        input.setCustomValidity(p.textContent);
      } else {
        input.setCustomValidity('');
      }
    });
  }

  // The tip dialog: the tip link opens it in place of the tip page.
  var dialog = document.getElementById('tip-dialog');
  if (dialog && typeof dialog.showModal === 'function') {
    document.querySelectorAll('[data-dialog="tip-dialog"]').forEach(function (a) {
      a.addEventListener('click', function (ev) {
        ev.preventDefault();
        dialog.showModal();
        var checked = dialog.querySelector('input[name="amount"]:checked');
        if (checked) checked.focus();
      });
    });
    dialog.querySelectorAll('[data-close]').forEach(function (b) {
      b.addEventListener('click', function () { dialog.close(); });
    });
  }

  // The PIN field shows only when the amount needs it.
  var form = document.getElementById('tip');
  if (form) {
    var above = parseInt(form.getAttribute('data-pin-above'), 10) || 0;
    var pin = form.querySelector('[data-pin]');
    var custom = form.querySelector('input[name="custom"]');
    var customRadio = form.querySelector('input[name="amount"][value="custom"]');
    var amount = function () {
      var r = form.querySelector('input[name="amount"]:checked');
      if (!r) return 0;
      if (r.value !== 'custom') return parseInt(r.getAttribute('data-minor'), 10) || 0;
      var v = (custom.value || '').replace(/[¥\s]/g, '');
      var y = parseFloat(v);
      return isNaN(y) ? 0 : Math.round(y * 100);
    };
    var update = function () {
      if (pin && !pin.classList.contains('bad')) pin.hidden = amount() <= above;
    };
    form.addEventListener('change', update);
    if (custom) {
      custom.addEventListener('input', function () {
        if (customRadio) customRadio.checked = true;
        update();
      });
      custom.addEventListener('focus', function () { if (customRadio) customRadio.checked = true; update(); });
    }
    update();
  }
})();
