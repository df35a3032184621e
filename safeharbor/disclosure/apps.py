from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "safeharbor.disclosure"
    label = "disclosure"
    verbose_name = "Vulnerability disclosure"
    api_scopes = {
        "vdp:read": "Read the program, its scope and the reports a key may see.",
        "vdp:submit": "Submit vulnerability reports on behalf of a researcher.",
        "vdp:triage": "Act as the security team: see every report, change states, comment.",
    }
    role_permissions: dict[str, list[str]] = {
        "security-triager": [
            "disclosure.triage_report",
            "disclosure.award_bounty",
            "disclosure.add_asset",
            "disclosure.change_asset",
        ],
        "admin": [
            "disclosure.triage_report",
            "disclosure.award_bounty",
            "disclosure.add_asset",
            "disclosure.change_asset",
            "disclosure.change_program",
            "disclosure.publish_bountytable",
        ],
    }

    def load_reference_data(self) -> str:
        """Load the CWE entries the project ships (idempotent)."""
        from safeharbor.disclosure.taxonomy import load_cwe_catalog

        result = load_cwe_catalog()
        return f"{result.created} CWE entries added, {result.updated} updated"
