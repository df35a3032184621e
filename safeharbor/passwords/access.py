"""Who may see and change the password policy. Others get 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from safeharbor.passwords.models import PasswordPolicy
from safeharbor.passwords.services import current_policy


def get_policy_for_user(user: Any) -> PasswordPolicy:
    if not (user.is_authenticated and user.has_perm("passwords.change_passwordpolicy")):
        raise Http404
    return current_policy()
