// The review queue's keyboard and picture reveal. Without it the queue
// still works: each picture is a link to the revealed original (recorded),
// and each item's forms approve or reject it.
//   j / k  next / previous item      a  approve the item
//   r      reject it (reason first)  v  reveal its pictures
//   ?      show or hide the help
'use strict';
(function () {
  var items = Array.prototype.slice.call(document.querySelectorAll('.review-item'));
  var help = document.getElementById('shortcuts');

  // Reveal: the first click swaps the blurred copy for the picture (the
  // server records it); later clicks follow the link to the original.
  function reveal(link) {
    if (link.hasAttribute('data-revealed')) return false;
    var img = link.querySelector('img');
    if (!img) return false;
    img.src = link.getAttribute('data-reveal');
    link.setAttribute('data-revealed', '');
    return true;
  }
  document.addEventListener('click', function (ev) {
    var link = ev.target.closest && ev.target.closest('a.reveal');
    if (link && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && reveal(link)) ev.preventDefault();
  });

  if (!items.length) return;
  if (help) help.hidden = false;
  var at = -1;

  function select(i) {
    if (i < 0 || i >= items.length) return;
    if (at >= 0) items[at].removeAttribute('aria-current');
    at = i;
    items[at].setAttribute('aria-current', 'true');
    items[at].focus({ preventScroll: true });
    items[at].scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }
  // Follow focus and clicks, so the keys act on the item one works in.
  items.forEach(function (item, i) {
    item.addEventListener('focusin', function () {
      if (at !== i) {
        if (at >= 0) items[at].removeAttribute('aria-current');
        at = i;
        item.setAttribute('aria-current', 'true');
      }
    });
  });

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var item = items[at];
    switch (ev.key) {
      case 'j': select(at + 1); break;
      case 'k': select(at < 0 ? 0 : at - 1); break;
      case '?': if (help) help.hidden = !help.hidden; break;
      case 'a':
        if (!item) { select(0); break; }
        var approve = item.querySelector('form[data-approve]');
        if (approve) approve.requestSubmit ? approve.requestSubmit() : approve.submit();
        break;
      case 'r':
        if (!item) { select(0); break; }
        var box = item.querySelector('details.reject');
        if (box) {
          box.open = true;
          var reason = box.querySelector('select');
          if (reason) reason.focus();
        }
        break;
      case 'v':
        if (!item) { select(0); break; }
        item.querySelectorAll('a.reveal').forEach(reveal);
        break;
      default: return;
    }
    ev.preventDefault();
  });

  select(0);
})();
