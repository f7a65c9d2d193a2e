/*
 * paperkb search: Pagefind's index (site/pagefind/, written by paperkb.publish.search_index) behind Material's
 * header search box, and the browse view of the all-papers page. Loaded on every page after Material's bundle
 * (extra_javascript); pages are set up through Material's document$, so navigation.instant keeps working.
 *
 * - Header search: `/`, `s` or `f` opens it (not while typing in a field); arrow keys move through the
 *   results, Enter opens one, Esc closes. Papers come before topic and lab pages (two searches: records with
 *   and without the `kind` filter). An arXiv ID in any form (2412.14093, arXiv:2412.14093, 2412.14093v2, the
 *   abs or pdf URL, cs/9901001) is searched as the bare ID and the paper whose `arxiv` meta is that ID is
 *   put first.
 * - Browse (#pkb-browse on the all-papers page): a search within the papers, filters topic, lab, year, priority,
 *   status; sort best match (with a search), newest, oldest, priority, title; pages of PAGE_SIZE. The state is the
 *   URL's query (?q=GRPO&topic=reasoning&lab=DeepSeek&sort=priority&page=2), so a view can be shared; the static
 *   list after it is hidden (CSS) once it shows. The header search's results link to it with their query.
 *
 * Nothing leaves the site: the Pagefind bundle is loaded from the site itself, once the search box has the focus.
 */
(function () {
  "use strict";

  var SCRIPT = document.currentScript;
  // This file is assets/javascripts/paperkb-search.js: the site root is two folders up.
  var ROOT = new URL("../../", SCRIPT.src);
  var BUNDLE = new URL("pagefind/", ROOT);
  var SHOWN = 10;  // header results rendered at once (each is one fragment to fetch)
  var PAGE_SIZE = 50;  // papers per browse page
  var DEBOUNCE_MS = 120;
  // Must match paperkb.publish.search_index (BROWSE_TERM, OTHER_KINDS, PAPER_FILTERS)
  var BROWSE_TERM = "pkbpaper";
  var OTHER_KINDS = ["topic", "lab"];
  var FILTERS = [["topic", "Topic"], ["lab", "Lab"], ["year", "Year"], ["priority", "Priority"], ["status", "Status"]];
  var SORTS = {
    relevance: null,  // Pagefind's own ranking: only with a search
    newest: { date: "desc" },
    oldest: { date: "asc" },
    priority: { priority: "asc" },
    title: { title: "asc" }
  };
  var SORT_LABELS = [["relevance", "Best match"], ["newest", "Newest first"], ["oldest", "Oldest first"], ["priority", "Priority"], ["title", "Title"]];
  var PRIORITY_ORDER = ["urgent", "high", "medium", "low", "unrated"];
  var STATUS_ORDER = ["todo", "draft", "reviewed"];

  // -- the index, loaded once on first use -------------------------------------------------------------------
  var engine = null;

  function load() {
    if (!engine) {
      engine = Promise.all([
        import(new URL("pagefind.js", BUNDLE).href),
        fetch(new URL("paperkb.json", BUNDLE).href).then(function (r) { return r.ok ? r.json() : {}; })
      ]).then(function (loaded) {
        var pagefind = loaded[0];
        var extra = loaded[1] || {};
        // Before the first search: these become Pagefind's initial options. noWorker: the search runs on the
        // page (results are small); its worker would be one more 41 KB script on the first search.
        return pagefind.options({ excerptLength: 26, noWorker: true }).then(function () {
          pagefind.init();  // the index's entry, meta and WebAssembly start loading now, before the first query
          return { pagefind: pagefind, labels: extra.labels || {}, common: new Set(extra.common || []) };
        });
      });
      engine.catch(function () { engine = null; });  // a failed load (offline) is retried on the next search
    }
    return engine;
  }

  // -- query ---------------------------------------------------------------------------------------------------
  // The rules of paperkb.model.arxiv_ids.parse_arxiv_id, for what a reader pastes
  var NEW_STYLE = /^(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?$/;
  var OLD_STYLE = /^([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?\/\d{2}(?:0[1-9]|1[0-2])\d{3})(?:v\d+)?$/;
  var ARXIV_URL = /^(?:https?:\/\/)?(?:www\.|export\.)?arxiv\.org\/(?:abs|pdf|html)\/(.+?)(?:\.pdf)?\/?(?:[?#].*)?$/i;

  function arxivId(query) {
    var value = query.trim();
    var url = ARXIV_URL.exec(value);
    if (url) value = url[1];
    else if (/^arxiv:/i.test(value)) value = value.slice(6).trim();
    var match = NEW_STYLE.exec(value) || OLD_STYLE.exec(value);
    return match ? match[1] : null;
  }

  // A word as Pagefind's query reads it: lower case, without punctuation (pagefind.js's own rule).
  var PUNCTUATION = /[\p{Pd}\p{Pe}\p{Pf}\p{Pi}\p{Po}\p{Ps}]/gu;

  function normalized(word) {
    return word.replace(PUNCTUATION, "").toLocaleLowerCase();
  }

  // Words in more than half of the papers (paperkb.json's `common`, computed at build time) narrow nothing
  // and rank nothing (their BM25 weight is about zero), but each costs the browser a whole index chunk:
  // leave them out of the query while another word is left.
  function searchTerms(query, common) {
    var words = query.split(/\s+/).filter(Boolean);
    var kept = words.filter(function (word) { return !common.has(normalized(word)); });
    return (kept.length ? kept : words).join(" ");
  }

  // -- rendering helpers --------------------------------------------------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Pagefind's excerpt is escaped text with <mark> around matches: keep exactly that, as text and <mark>s.
  function excerptNodes(html) {
    var template = document.createElement("template");
    template.innerHTML = html || "";
    var out = document.createDocumentFragment();
    template.content.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") out.append(element("mark", "", node.textContent));
      else out.append(document.createTextNode(node.textContent));
    });
    return out;
  }

  function badges(meta) {
    var out = document.createDocumentFragment();
    if (meta.priority) out.append(element("span", "pkb-badge pkb-priority pkb-priority--" + meta.priority, meta.priority), " ");
    if (meta.status) out.append(element("span", "pkb-badge pkb-status pkb-status--" + meta.status, meta.status));
    return out;
  }

  function details(meta) {
    var line = element("p", "pkb-result__details");
    var facts = [meta.authors, meta.date].filter(Boolean).join(" · ");
    if (facts) line.append(element("span", "pkb-result__facts", facts), " ");
    line.append(badges(meta));
    return line;
  }

  // What Pagefind is asked for a reader's query: an arXiv ID in any form as the bare ID, else the words
  function queryTerms(query, common) {
    var id = arxivId(query);
    return { id: id, terms: id || searchTerms(query, common) };
  }

  // -- header search ---------------------------------------------------------------------------------------------
  var toggle = document.getElementById("__search");
  var box = document.querySelector(".pkb-search");
  var input = box && box.querySelector(".md-search__input");
  var info = box && box.querySelector(".md-search-result__meta");
  var list = box && box.querySelector(".md-search-result__list");
  var latest = 0;
  var timer = null;

  function setOpen(open) {
    if (toggle) toggle.checked = open;
    if (!open && input) input.blur();
  }

  function isOpen() {
    return !!(toggle && toggle.checked);
  }

  function resultItem(data) {
    var meta = data.meta || {};
    var item = element("li", "md-search-result__item");
    var link = element("a", "md-search-result__link");
    link.href = data.url;
    link.tabIndex = -1;
    var article = element("article", "md-search-result__article md-typeset");
    article.append(element("div", "md-search-result__icon md-icon"));
    var title = element("h1", "", meta.title || data.url);
    if (meta.kind) title.prepend(element("span", "pkb-result__kind", meta.kind + ": "));
    article.append(title);
    if (!meta.kind) article.append(details(meta));
    var excerpt = element("p", "pkb-result__excerpt");
    excerpt.append(excerptNodes(data.excerpt));
    article.append(excerpt);
    link.append(article);
    item.append(link);
    item.dataset.arxiv = meta.arxiv || "";
    return item;
  }

  function countLabel(count) {
    if (count === 0) return "No matching documents";
    return count === 1 ? "1 matching document" : count + " matching documents";
  }

  // The all-papers page's browse view with this query, to filter and sort what the box found
  function browseLink(query) {
    var link = element("a", "pkb-search__browse", "Filter and sort the papers");
    link.href = new URL("papers/?" + new URLSearchParams({ q: query.trim() }).toString(), ROOT).href;
    return link;
  }

  function showMore(results, from, search) {
    var slice = results.slice(from, from + SHOWN);
    return Promise.all(slice.map(function (result) { return result.data(); })).then(function (data) {
      if (search !== latest) return;
      var more = list.querySelector(".pkb-more");
      if (more) more.remove();
      data.forEach(function (item) { list.append(resultItem(item)); });
      if (from + SHOWN < results.length) {
        var li = element("li", "md-search-result__item pkb-more");
        var button = element("button", "md-search-result__link pkb-more__button", (results.length - from - SHOWN) + " more");
        button.type = "button";
        button.tabIndex = -1;
        button.addEventListener("click", function () { showMore(results, from + SHOWN, search); });
        li.append(button);
        list.append(li);
      }
    });
  }

  // The paper whose own ID this is goes first: look through the first results' meta (an ID is rare text,
  // and its own record weighs it highest, so it is among them).
  function idFirst(results, id) {
    var head = results.slice(0, 3 * SHOWN);
    return Promise.all(head.map(function (result) { return result.data(); })).then(function (data) {
      var at = data.findIndex(function (item) { return (item.meta || {}).arxiv === id; });
      if (at <= 0) return results;
      var reordered = results.slice();
      var found = reordered.splice(at, 1)[0];
      reordered.unshift(found);
      return reordered;
    });
  }

  function runSearch(query) {
    var search = ++latest;
    delete list.dataset.query;
    if (!query.trim()) {
      list.replaceChildren();
      info.textContent = "Type to start searching";
      return Promise.resolve();
    }
    return load().then(function (loaded) {
      if (search !== latest) return;
      var asked = queryTerms(query, loaded.common);
      var id = asked.id;
      var pagefind = loaded.pagefind;
      return Promise.all([
        pagefind.search(asked.terms, { filters: { kind: { none: OTHER_KINDS } } }),
        pagefind.search(asked.terms, { filters: { kind: { any: OTHER_KINDS } } })
      ]).then(function (found) {
        if (search !== latest) return;
        var papers = found[0] ? found[0].results : [];
        var others = found[1] ? found[1].results : [];
        return (id ? idFirst(papers, id) : Promise.resolve(papers)).then(function (ordered) {
          if (search !== latest) return;
          var results = ordered.concat(others);
          info.textContent = countLabel(results.length);
          if (papers.length) info.append(" · ", browseLink(query));
          list.replaceChildren();
          return showMore(results, 0, search).then(function () {
            if (search === latest) list.dataset.query = query;  // what the list shows results for
          });
        });
      });
    }).catch(function (error) {
      if (search !== latest) return;
      info.textContent = "Search is not available: " + error.message;
    });
  }

  function focusables() {
    return [input].concat(Array.prototype.slice.call(list.querySelectorAll(".md-search-result__link")));
  }

  function setupHeaderSearch() {
    if (!toggle || !box || !input) return;
    var form = box.querySelector(".md-search__form");
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () {
      window.setTimeout(function () { runSearch(""); input.focus(); });
    });
    input.addEventListener("focus", function () {
      setOpen(true);
      load().catch(function () {});  // a reader who opens the search box is about to search: fetch the index's core
    });
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { runSearch(input.value); }, DEBOUNCE_MS);
    });
    // Opened by the header's button (phones), closed by the overlay or the back arrow: the focus follows
    toggle.addEventListener("change", function () {
      if (toggle.checked) input.focus();
      else input.blur();
    });
    [list, info].forEach(function (links) {
      links.addEventListener("click", function (event) {
        if (event.target.closest("a")) setOpen(false);
      });
    });

    window.addEventListener("keydown", function (event) {
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (!isOpen()) {
        var active = document.activeElement;
        var typing = active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
        if (!typing && (event.key === "/" || event.key === "s" || event.key === "f")) {
          event.preventDefault();
          input.focus();
          input.select();
        }
        return;
      }
      var items = focusables();
      var at = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        setOpen(false);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (items.length < 2) return;
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = at < 0 ? (step > 0 ? 1 : items.length - 1) : (at + step + items.length) % items.length;
        items[next].focus();
      } else if (event.key === "Enter" && document.activeElement === input) {
        event.preventDefault();
        window.clearTimeout(timer);
        // The first result, once the search for what is typed now has finished
        runSearch(input.value).then(function () {
          var first = list.querySelector(".md-search-result__link[href]");
          if (first) first.click();
        });
      }
    });
  }

  // -- browse view -------------------------------------------------------------------------------------------------
  function readState() {
    var params = new URLSearchParams(window.location.search);
    // sort "" is the default: best match with a search, else newest
    var state = { query: params.get("q") || "", filters: {}, sort: params.get("sort") || "", page: parseInt(params.get("page") || "1", 10) };
    if (!Object.prototype.hasOwnProperty.call(SORTS, state.sort)) state.sort = "";  // not "toString" either
    if (!(state.page >= 1)) state.page = 1;
    FILTERS.forEach(function (pair) {
      var value = params.get(pair[0]);
      if (value) state.filters[pair[0]] = value;
    });
    return state;
  }

  function sortOf(state) {
    var sort = state.sort || "relevance";
    return sort === "relevance" && !state.query.trim() ? "newest" : sort;
  }

  function writeState(state) {
    var params = new URLSearchParams();
    if (state.query.trim()) params.set("q", state.query.trim());
    FILTERS.forEach(function (pair) {
      if (state.filters[pair[0]]) params.set(pair[0], state.filters[pair[0]]);
    });
    if (state.sort && state.sort !== sortOf({ sort: "", query: state.query })) params.set("sort", state.sort);
    if (state.page > 1) params.set("page", String(state.page));
    var query = params.toString();
    window.history.replaceState(window.history.state, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }

  function valueOrder(key, values) {
    var order = key === "priority" ? PRIORITY_ORDER : key === "status" ? STATUS_ORDER : null;
    return values.sort(function (a, b) {
      if (order) return order.indexOf(a) - order.indexOf(b);
      if (key === "year") return b.localeCompare(a);
      return a.localeCompare(b, undefined, { sensitivity: "base" });
    });
  }

  function optionLabel(labels, key, value) {
    var names = labels[key] || {};
    return names[value] || value;
  }

  function mountBrowse(root) {
    if (root.dataset.pkbMounted) return;
    root.dataset.pkbMounted = "1";
    var state = readState();
    var form = element("form", "pkb-browse__form");
    form.setAttribute("aria-label", "Search, filter and sort the papers");
    var queryField = element("label", "pkb-browse__field pkb-browse__field--query");
    queryField.append(element("span", "pkb-browse__label", "Search the papers"));
    var queryInput = element("input");
    queryInput.type = "search";
    queryInput.name = "q";
    queryInput.value = state.query;
    queryInput.placeholder = "Words or an arXiv ID";
    queryInput.setAttribute("autocomplete", "off");
    queryField.append(queryInput);
    form.append(queryField);
    var selects = {};
    FILTERS.concat([["sort", "Sort"]]).forEach(function (pair) {
      var label = element("label", "pkb-browse__field");
      label.append(element("span", "pkb-browse__label", pair[1]));
      var select = element("select");
      select.name = pair[0];
      label.append(select);
      form.append(label);
      selects[pair[0]] = select;
    });
    SORT_LABELS.forEach(function (pair) {
      var option = element("option", "", pair[1]);
      option.value = pair[0];
      selects.sort.append(option);
    });
    var clear = element("button", "md-button pkb-browse__clear", "Clear filters");
    clear.type = "button";
    form.append(clear);
    var status = element("p", "pkb-browse__status");
    status.setAttribute("aria-live", "polite");
    var cards = element("ol", "pkb-browse__list");
    var pager = element("nav", "pkb-browse__pager");
    pager.setAttribute("aria-label", "Pages");
    root.replaceChildren(form, status, cards, pager);
    root.hidden = false;
    status.textContent = "Loading…";

    var run = 0;
    function update() {
      var current = ++run;
      writeState(state);
      return load().then(function (loaded) {
        // Every filter's values: Pagefind counts a filter only once its chunk is loaded, which filters() does
        return loaded.pagefind.filters().then(function () { return loaded; });
      }).then(function (loaded) {
        var pagefind = loaded.pagefind;
        var filters = Object.assign({ kind: { none: OTHER_KINDS } }, state.filters);
        // Every paper (the term all paper records hold), or those the reader's query finds
        var asked = state.query.trim() ? queryTerms(state.query, loaded.common) : { id: null, terms: BROWSE_TERM };
        var sort = sortOf(state);
        var options = { filters: filters };
        if (SORTS[sort]) options.sort = SORTS[sort];
        // The list, and for each filter the counts it would have with the other filters as they are
        var searches = [pagefind.search(asked.terms, options)];
        FILTERS.forEach(function (pair) {
          var others = Object.assign({}, filters);
          delete others[pair[0]];
          searches.push(pagefind.search(asked.terms, { filters: others }));
        });
        return Promise.all(searches).then(function (found) {
          if (current !== run) return;
          FILTERS.forEach(function (pair, index) {
            fillSelect(selects[pair[0]], pair[0], found[index + 1].filters[pair[0]] || {}, loaded.labels);
          });
          selects.sort.value = sort;
          selects.sort.querySelector("option[value=relevance]").disabled = !state.query.trim();
          var results = found[0].results;
          return (asked.id && sort === "relevance" ? idFirst(results, asked.id) : Promise.resolve(results)).then(function (ordered) {
            if (current !== run) return;
            return showPage(ordered, current);
          });
        });
      }).catch(function (error) {
        if (current === run) status.textContent = "The list is not available: " + error.message;
      });
    }

    function fillSelect(select, key, counts, labels) {
      var chosen = state.filters[key] || "";
      var values = valueOrder(key, Object.keys(counts).filter(function (value) { return counts[value] > 0 || value === chosen; }));
      var any = element("option", "", "Any");
      any.value = "";
      var options = [any].concat(values.map(function (value) {
        var option = element("option", "", optionLabel(labels, key, value) + " (" + (counts[value] || 0) + ")");
        option.value = value;
        return option;
      }));
      select.replaceChildren.apply(select, options);
      select.value = chosen;
    }

    function showPage(results, current) {
      var pages = Math.max(1, Math.ceil(results.length / PAGE_SIZE));
      if (state.page > pages) {
        state.page = pages;
        writeState(state);
      }
      var start = (state.page - 1) * PAGE_SIZE;
      var slice = results.slice(start, start + PAGE_SIZE);
      return Promise.all(slice.map(function (result) { return result.data(); })).then(function (data) {
        if (current !== run) return;
        var count = results.length === 1 ? "1 paper" : results.length + " papers";
        var none = state.query.trim() ? "No papers match this search and these filters." : "No papers match these filters.";
        status.textContent = results.length ? count + (pages > 1 ? ", page " + state.page + " of " + pages : "") : none;
        cards.replaceChildren.apply(cards, data.map(card));
        renderPager(pages);
      });
    }

    function card(data) {
      var meta = data.meta || {};
      var item = element("li", "pkb-card");
      var title = element("a", "pkb-card__title", meta.title || data.url);
      title.href = data.url;
      item.append(title, details(meta));
      return item;
    }

    function renderPager(pages) {
      pager.replaceChildren();
      if (pages < 2) return;
      function go(page, text, label) {
        var button = element("button", "md-button pkb-browse__page", text);
        button.type = "button";
        if (label) button.setAttribute("aria-label", label);
        if (page === state.page) {
          button.setAttribute("aria-current", "page");
          button.className += " md-button--primary";
        }
        button.disabled = page < 1 || page > pages;
        button.addEventListener("click", function () {
          state.page = page;
          update().then(function () { root.scrollIntoView({ block: "start" }); });
        });
        pager.append(button);
      }
      go(state.page - 1, "‹", "Previous page");
      var from = Math.max(1, state.page - 2);
      var to = Math.min(pages, from + 4);
      from = Math.max(1, to - 4);
      for (var page = from; page <= to; page++) go(page, String(page), "Page " + page);
      go(state.page + 1, "›", "Next page");
    }

    var typing = null;
    queryInput.addEventListener("input", function () {
      window.clearTimeout(typing);
      typing = window.setTimeout(function () {
        state.query = queryInput.value;
        state.page = 1;
        update();
      }, DEBOUNCE_MS);
    });
    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "q") return;  // the input listener has it
      if (name === "sort") state.sort = event.target.value;
      else if (name) {
        if (event.target.value) state.filters[name] = event.target.value;
        else delete state.filters[name];
      }
      state.page = 1;
      update();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    clear.addEventListener("click", function () {
      state.filters = {};
      state.page = 1;
      update();
    });
    update();
  }

  // -- wiring ------------------------------------------------------------------------------------------------------
  setupHeaderSearch();
  function onPage() {
    setOpen(false);
    var browse = document.getElementById("pkb-browse");
    if (browse) mountBrowse(browse);
  }
  // Material's document$ emits the first page and every page navigation.instant swaps in
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) window.document$.subscribe(onPage);
  else onPage();
})();
