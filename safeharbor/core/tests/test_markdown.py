from __future__ import annotations

import re

import pytest
from django.template import Context, Template

from safeharbor.core.markdown import render_markdown


def test_it_renders_commonmark() -> None:
    html = render_markdown("# Title\n\n**bold** and `code`\n\n- one\n- two")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<div style="position:fixed">x</div>',
        "![tracker](https://evil.example/pixel.png)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_it_removes_anything_that_could_run_or_load(attack: str) -> None:
    html = render_markdown(attack).lower()
    tags = re.findall(r"<[^>]+>", html)  # escaped text (&lt;...&gt;) is harmless and stays
    assert not [tag for tag in tags if re.match(r"<(script|img|iframe|div|object|embed)", tag)]
    assert not [tag for tag in tags if re.search(r"\s(on\w+|style)=", tag)]
    assert not [tag for tag in tags if re.search(r'href="(javascript|data):', tag)]


def test_links_are_marked_as_user_content() -> None:
    html = render_markdown("[docs](https://example.org/a)")
    assert 'href="https://example.org/a"' in html
    assert 'rel="noopener noreferrer nofollow ugc"' in html


def test_the_template_filter_renders_sanitized_markdown() -> None:
    rendered = Template("{% load markdown %}{{ text|markdown }}").render(
        Context({"text": "*hi* <script>x</script>"})
    )
    assert "<em>hi</em>" in rendered
    assert "<script>" not in rendered
