// The dddc site's behaviour: the search box, and the diagrams' zoom.
// It reads `window.DDDC_SEARCH` (search.js), builds results with text
// nodes only (never markup from data) and requests nothing.
(function () {
  'use strict';

  function norm(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  function setupSearch() {
    var input = document.getElementById('search');
    var list = document.getElementById('search-results');
    var data = window.DDDC_SEARCH;
    if (!input || !list || !data || !data.entries) {
      return;
    }
    var entries = data.entries.map(function (e, i) {
      return { kind: data.kinds[e[0]] || '', name: e[1], detail: e[2], href: e[3], key: norm(e[1] + ' ' + e[2]), nameKey: norm(e[1]), order: i };
    });
    var active = -1;

    function clear() {
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      active = -1;
    }

    function span(cls, text) {
      var s = document.createElement('span');
      s.className = cls;
      s.textContent = text;
      return s;
    }

    function show(query) {
      clear();
      var terms = norm(query).split(/\s+/).filter(Boolean);
      if (terms.length === 0) {
        list.hidden = true;
        return;
      }
      var hits = [];
      entries.forEach(function (e) {
        if (terms.every(function (t) { return e.key.indexOf(t) >= 0; })) {
          var at = e.nameKey.indexOf(terms[0]);
          var rank = at === 0 ? 0 : (at > 0 ? 1 : 2);
          hits.push({ e: e, rank: rank });
        }
      });
      hits.sort(function (a, b) {
        return a.rank - b.rank || a.e.name.length - b.e.name.length || a.e.order - b.e.order;
      });
      if (hits.length === 0) {
        var none = document.createElement('li');
        none.className = 'none';
        none.textContent = data.no_results;
        list.appendChild(none);
      }
      hits.slice(0, 50).forEach(function (h) {
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.setAttribute('href', h.e.href);
        a.appendChild(span('kind', h.e.kind));
        a.appendChild(span('name', h.e.name));
        if (h.e.detail) {
          a.appendChild(span('detail', h.e.detail));
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = false;
    }

    function move(step) {
      var items = list.querySelectorAll('li a');
      if (items.length === 0) {
        return;
      }
      if (active >= 0) {
        items[active].parentNode.classList.remove('active');
      }
      active = (active + step + items.length) % items.length;
      items[active].parentNode.classList.add('active');
      items[active].scrollIntoView({ block: 'nearest' });
    }

    input.addEventListener('input', function () {
      show(input.value);
    });
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        move(ev.key === 'ArrowDown' ? 1 : -1);
      } else if (ev.key === 'Enter') {
        var items = list.querySelectorAll('li a');
        var target = items[active >= 0 ? active : 0];
        if (target) {
          ev.preventDefault();
          window.location.href = target.href;
        }
      } else if (ev.key === 'Escape') {
        clear();
        list.hidden = true;
      }
    });
    document.addEventListener('click', function (ev) {
      if (ev.target !== input && !list.contains(ev.target)) {
        list.hidden = true;
      }
    });
    input.addEventListener('focus', function () {
      if (list.firstChild) {
        list.hidden = false;
      }
    });
  }

  function setupZoom() {
    Array.prototype.forEach.call(document.querySelectorAll('figure.diagram'), function (figure) {
      var button = figure.querySelector('button.zoom');
      if (!button) {
        return;
      }
      button.hidden = false;
      button.addEventListener('click', function () {
        var fit = figure.classList.toggle('fit');
        button.textContent = fit ? button.getAttribute('data-full') : button.getAttribute('data-fit');
        button.setAttribute('aria-pressed', String(fit));
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    setupSearch();
    setupZoom();
  });
})();
