from django import template
from django.utils.safestring import SafeString, mark_safe

from safeharbor.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    # The output of render_markdown is sanitized by nh3 against an allow-list: safe by construction.
    return mark_safe(render_markdown(text or ""))  # noqa: S308
