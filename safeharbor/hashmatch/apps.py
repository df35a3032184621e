from django.apps import AppConfig


class HashmatchConfig(AppConfig):
    name = "safeharbor.hashmatch"
    label = "hashmatch"
    verbose_name = "Media hash matching"
    api_scopes = {
        "media:hash": "Hash media (PDQ, MD5, SHA-256) without matching it.",
        "media:match": "Match media or hashes against the enabled hash banks.",
    }
    role_permissions: dict[str, list[str]] = {
        # Moderators may add the media of a case they may see to a bank of a category they may
        # see (access.py checks both); they do not browse banks or matches.
        "moderator": ["hashmatch.add_bankentry"],
        "child-safety": [
            "hashmatch.view_hashbank",
            "hashmatch.view_hashmatch",
            "hashmatch.add_bankentry",
        ],
        "admin": [
            "hashmatch.view_hashbank",
            "hashmatch.manage_banks",
            "hashmatch.view_hashmatch",
        ],
    }
