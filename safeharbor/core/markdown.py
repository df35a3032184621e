"""User-supplied Markdown, rendered to HTML that is safe to show to staff and the public.

markdown-it-py renders CommonMark with raw HTML disabled; nh3 then keeps only an allow-list of
tags and attributes, so nothing a user writes can run script, load remote content or style the page.
Templates use the ``markdown`` filter (``{% load markdown %}``) and never ``|safe`` on user input.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_renderer.enable("table")
_renderer.enable("strikethrough")

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
MAX_MARKDOWN_CHARS = 200_000


def render_markdown(text: str) -> str:
    """Sanitized HTML for ``text``. Links open as plain links with rel="noopener noreferrer
    nofollow ugc"; images are not rendered (they would let a reporter track who reads a report)."""
    html = _renderer.render(text[:MAX_MARKDOWN_CHARS])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )
