"""The {% memo %} tag (paperkb.publish.template_memo) in a plain Jinja environment; the real site is built with
and without it in tests/test_site_build.py."""

from __future__ import annotations

from types import SimpleNamespace

from jinja2 import DictLoader, Environment

from paperkb.publish.template_memo import TemplateMemo, memo_folder

TEMPLATES = {
    "page.html": "<{% memo key %}{{ counter() }}{% endmemo %}|{% include 'partial.html' %}>",
    "partial.html": "{% set x = counter() %}p{{ x }}\n",
    "child.html": "{% extends 'base.html' %}{% block b -%}{% memo key %}{{ super() }}{% endmemo %}{%- endblock %}",
    "base.html": "[{% block b %}b{{ counter() }}{% endblock %}]",
}


def environment(enabled: bool = True, partials: tuple[str, ...] = ("partial.html",)):
    env = Environment(loader=DictLoader(TEMPLATES))
    env.add_extension(TemplateMemo)
    memo = env.extensions[TemplateMemo.identifier]
    memo.configure(enabled=enabled, partials=partials, key=lambda page: page)
    calls = iter(range(1, 1000))
    env.globals["counter"] = lambda: next(calls)
    return env, memo


def test_a_key_renders_the_body_once_and_no_key_every_time():
    env, memo = environment()
    page = env.get_template("page.html")
    first, again = page.render(key="a", page="a"), page.render(key="a", page="a")
    assert first == again == "<1|p2>"  # the included partial is wrapped whole, its newline dropped as before
    assert memo.reused == 2
    assert page.render(key="b", page="b") == "<3|p4>"
    assert page.render(key=None, page=None) == "<5|p6>" and page.render(key="", page="") == "<7|p8>"


def test_a_block_around_super_is_memoized_and_otherwise_unchanged():
    env, memo = environment()
    child = env.get_template("child.html")
    assert child.render(key="a") == child.render(key="a") == "[b1]"
    assert child.render(key=None) == "[b2]" and memo.reused == 1


def test_disabled_the_tag_is_its_body_and_nothing_is_wrapped():
    env, memo = environment(enabled=False)
    page = env.get_template("page.html")
    assert page.render(key="a", page="a") == "<1|p2>" and page.render(key="a", page="a") == "<3|p4>"
    assert memo.reused == 0


def _page(src_uri: str, url: str):
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri), url=url)


def test_the_memo_folder_is_that_of_a_page_outside_the_nav_only():
    nav = {"index.md": "", "papers/index.md": "papers/", "topics/index.md": "topics/"}
    urls, uris = tuple(nav.values()), frozenset(nav)
    assert memo_folder(_page("papers/a.md", "papers/a/"), urls, uris) == "papers"
    assert memo_folder(_page("papers/index.md", "papers/"), urls, uris) is None  # in the nav
    assert memo_folder(None, urls, uris) is None  # a theme template such as 404.html
    assert not memo_folder(_page("about.md", "about/"), urls, uris)  # top level: rendered as usual
    nested = (*urls, "papers/a/more/")  # a nav link inside the page's own folder is relative to the page
    assert memo_folder(_page("papers/a.md", "papers/a/"), nested, uris) is None
