/* paperkb: math in abstracts and sections, typeset by the MathJax the site serves itself (assets/mathjax/,
   copied from the django-static-mathjax package by scripts/mkdocs_math.py; no CDN, no third-party request).

   What is math: pymdownx.arithmatex marks $…$ and $$…$$ in page sections, paperkb.publish.paper marks them in the
   abstract, both as <span|div class="arithmatex">\(…\)</span>; MathJax looks at nothing else. MathJax is loaded
   only on a page that has math, once (Material's instant navigation keeps it for the next pages), and page text
   is outside text: ui/safe filters what TeX could add (links to http(s) only, no classes, ids or styles), and
   \require, which loads extensions by name, is left out. */
(function () {
  var script = document.currentScript;
  var source = new URL("../mathjax/tex-chtml.js", script ? script.src : document.baseURI).href;
  var requested = false;

  window.MathJax = {
    loader: { load: ["ui/safe"] },
    tex: {
      inlineMath: [["\\(", "\\)"]],
      displayMath: [["\\[", "\\]"]],
      processEscapes: true,
      processEnvironments: true,
      packages: { "[-]": ["require"] },
    },
    options: {
      ignoreHtmlClass: ".*|",
      processHtmlClass: "arithmatex",
    },
  };

  function typeset() {
    if (!document.querySelector(".arithmatex")) return;
    var mathjax = window.MathJax;
    if (mathjax && typeof mathjax.typesetPromise === "function") {
      mathjax.startup.output.clearCache();
      mathjax.typesetClear();
      mathjax.texReset();
      mathjax.typesetPromise();
      return;
    }
    if (requested) return; // loading: MathJax typesets the page it starts on by itself
    requested = true;
    var tag = document.createElement("script");
    tag.src = source;
    tag.async = true;
    document.head.appendChild(tag);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(typeset); // every page Material's instant navigation shows
  } else {
    typeset();
  }
})();
