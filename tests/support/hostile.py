"""Hostile HTML and Markdown vectors for the one sanitizer (paperkb.publish.sanitize), shared by the unit
tests and the browser test. Each, if it survived, would run script, load something, or shadow one of
Material's elements by id (DOM clobbering). ``__pwned`` is set by every script payload, so a test can ask the
browser whether any of them ran."""

from __future__ import annotations

# Script-URL forms: plain, mixed case, entity-encoded, whitespace and control characters in the scheme
SCHEMES = [
    "javascript:window.__pwned=1",
    "JaVaScRiPt:window.__pwned=1",
    "javascript&colon;window.__pwned=1",
    "javascript&#58;window.__pwned=1",
    "javascript&#x3A;window.__pwned=1",
    "javascript&#0000058window.__pwned=1",
    "java&Tab;script:window.__pwned=1",
    "java&#9;script:window.__pwned=1",
    "java&NewLine;script:window.__pwned=1",
    "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__pwned=1",
    " \x01javascript:window.__pwned=1",
    "\tjavascript:window.__pwned=1",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html,<script>window.__pwned=1</script>",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    "DaTa:text/html,<script>window.__pwned=1</script>",
]

HTML_VECTORS = [
    *(f'<a href="{url}">link</a>' for url in SCHEMES),
    *(f'<img src="{url}" alt="i">' for url in SCHEMES[:6]),
    '<img src=x onerror="window.__pwned=1">',
    '<p onclick="window.__pwned=1" onmouseover="window.__pwned=1">hover</p>',
    '<body onload="window.__pwned=1">',
    '<svg onload="window.__pwned=1"><circle r="4"/></svg>',
    "<svg><script>window.__pwned=1</script></svg>",
    '<svg><a xlink:href="javascript:window.__pwned=1"><text>x</text></a></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=1">',
    '<math href="javascript:window.__pwned=1">x</math>',
    '<iframe src="javascript:window.__pwned=1"></iframe>',
    '<iframe srcdoc="&lt;script&gt;parent.__pwned=1&lt;/script&gt;"></iframe>',
    '<object data="javascript:window.__pwned=1"></object>',
    '<embed src="javascript:window.__pwned=1">',
    '<form action="javascript:window.__pwned=1"><button>go</button></form>',
    '<button formaction="javascript:window.__pwned=1">go</button>',
    '<input autofocus onfocus="window.__pwned=1">',
    '<base href="javascript:window.__pwned=1//">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<style>@import "https://evil.example/x.css";</style>',
    '<details open ontoggle="window.__pwned=1">x</details>',
    '<video><source onerror="window.__pwned=1"></video>',
    '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">',
    '<noembed><img title="</noembed><img src=x onerror=window.__pwned=1>"></noembed>',
    '<textarea><img title="</textarea><img src=x onerror=window.__pwned=1>">',
    '<template><img src=x onerror="window.__pwned=1"></template>',
    '<!--><img src=x onerror="window.__pwned=1">-->',
    '<![CDATA[><img src=x onerror="window.__pwned=1">]]>',
    "<scr<script>ipt>window.__pwned=1</script>",
    '<a href="#" style="behavior:url(x.htc)">s</a>',
    # DOM clobbering: an element that takes the id or name of one Material looks up
    '<div id="__config">{"base": ".", "search": "data:text/javascript,self.__pwned=1"}</div>',
    '<h2 id="__search">clobber</h2>',
    '<img name="getElementById" src="x.png" alt="n">',
    '<form id="__drawer"><input name="checked"></form>',
    '<a id="__md_scope" href="#">scope</a>',
]

MARKDOWN_VECTORS = [
    "[md link](javascript:window.__pwned=1)",
    "[md entity](javascript&#58;window.__pwned=1)",
    "![md image](javascript:window.__pwned=1)",
    "[ref]\n\n[ref]: javascript:window.__pwned=1",
    "<javascript:window.__pwned=1>",
    "## __config\n\nA heading whose id would shadow Material's config",
    "## Clobber { #__search }",
    '## Handler { onclick="window.__pwned=1" }',
]
