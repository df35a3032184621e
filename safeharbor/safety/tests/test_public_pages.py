"""Every public Safety Center page renders for anonymous visitors, in English and in Spanish."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = {
    "/safety/": ("Safety Center", "Centro de Seguridad"),
    "/safety/help/": ("Get help now", "Consigue ayuda ahora"),
    "/safety/partners/": ("Safety partners", "Socios de seguridad"),
    "/safety/report-csam/": (
        "Report child sexual abuse material",
        "Denunciar material de abuso sexual infantil",
    ),
    "/safety/tips/": ("Safety tips", "Consejos de seguridad"),
    "/safety/account-security/": ("Account security", "Seguridad de la cuenta"),
}


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match, "the page has no h1"
    return match.group(1).strip()


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_public_and_in_english_by_default(anon: Client, path: str) -> None:
    response = anon.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert heading(html) == PAGES[path][0]


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_in_spanish_for_a_spanish_browser(anon: Client, path: str) -> None:
    response = anon.get(path, headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert heading(html) == PAGES[path][1]
    assert "Saltar al contenido" in html  # the base layout too


@pytest.mark.parametrize("path", PAGES)
def test_each_page_follows_the_language_cookie_over_the_browser(anon: Client, path: str) -> None:
    anon.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = anon.get(path, headers={"Accept-Language": "en-US"}).content.decode()
    assert '<html lang="es">' in html
    assert heading(html) == PAGES[path][1]


def test_the_language_selector_switches_the_site_to_spanish(anon: Client) -> None:
    html = anon.get("/safety/tips/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert '<option value="es" lang="es">Español</option>' in html
    response = anon.post("/i18n/setlang/", {"language": "es", "next": "/safety/tips/"})
    assert response.status_code == 302
    assert response["Location"] == "/safety/tips/"
    html = anon.get("/safety/tips/").content.decode()
    assert heading(html) == "Consejos de seguridad"
    assert '<option value="es" lang="es" selected>Español</option>' in html


def test_every_page_links_to_the_safety_center(anon: Client) -> None:
    html = anon.get("/").content.decode()
    assert '<a class="safety-center-link" href="/safety/">Safety Center</a>' in html


def test_the_home_page_leads_to_help_partners_reporting_and_tips(anon: Client) -> None:
    html = anon.get("/safety/").content.decode()
    assert 'class="button urgent" href="/safety/help/">Get help now</a>' in html
    for path in ["/safety/partners/", "/safety/report-csam/", "/safety/tips/"]:
        assert f'href="{path}"' in html
    assert 'href="/safety/account-security/"' in html


def test_the_pages_load_no_inline_script_or_style(anon: Client) -> None:
    for path in PAGES:
        html = anon.get(path).content.decode()
        assert "<style" not in html
        assert " style=" not in html
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, path


def test_the_tips_follow_nist_guidance_on_passwords(anon: Client) -> None:
    html = anon.get("/safety/account-security/").content.decode()
    assert "NIST SP 800-63B-4" in html
    assert "at least 15 characters" in html
    assert "no forced periodic changes" in html
    assert "Security keys and passkeys" in html
    assert "recovery codes" in html


def test_the_reporting_page_warns_not_to_download_share_or_screenshot(anon: Client) -> None:
    html = anon.get("/safety/report-csam/").content.decode()
    assert "Do not download, share or screenshot it" in html
    assert "a person under 18" in html
    assert "online enticement" in html
    assert "sextortion" in html
