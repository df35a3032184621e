"""Values of the EU DSA Transparency Database statement-of-reasons schema (Art. 17 and 24(5) DSA).

The stored values are the database's API enum names, as published in its source
(github.com/digital-services-act/transparency-database, app/Models/Statement.php, the schema in
force since the 2025 update that introduced the 14 categories and their keywords); the labels
are the database's own.
"""

from django.db import models


class StatementCategory(models.TextChoices):
    ANIMAL_WELFARE = "STATEMENT_CATEGORY_ANIMAL_WELFARE", "Animal welfare"
    DATA_PROTECTION_AND_PRIVACY_VIOLATIONS = (
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        "Data protection and privacy violations",
    )
    ILLEGAL_OR_HARMFUL_SPEECH = (
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "Illegal or harmful speech",
    )
    INTELLECTUAL_PROPERTY_INFRINGEMENTS = (
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "Intellectual property infringements",
    )
    NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS = (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "Negative effects on civic discourse or elections",
    )
    NON_CONSENSUAL_BEHAVIOUR = (
        "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR",
        "Non-consensual behaviour",
    )
    PORNOGRAPHY_OR_SEXUALIZED_CONTENT = (
        "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
        "Pornography or sexualized content",
    )
    PROTECTION_OF_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "Protection of minors"
    RISK_FOR_PUBLIC_SECURITY = (
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "Risk for public security",
    )
    SCAMS_AND_FRAUD = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "Scams and/or fraud"
    SELF_HARM = "STATEMENT_CATEGORY_SELF_HARM", "Self-harm"
    SCOPE_OF_PLATFORM_SERVICE = (
        "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
        "Scope of platform service",
    )
    UNSAFE_AND_ILLEGAL_PRODUCTS = (
        "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS",
        "Unsafe and/or illegal products",
    )
    VIOLENCE = "STATEMENT_CATEGORY_VIOLENCE", "Violence"


class Keyword(models.TextChoices):
    """The category specifications ("keywords") the taxonomy uses; more may be added."""

    CHILD_SEXUAL_ABUSE_MATERIAL = (
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
        "Child sexual abuse material",
    )
    GROOMING_SEXUAL_ENTICEMENT_MINORS = (
        "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
        "Grooming/sexual enticement of minors",
    )
    HUMAN_TRAFFICKING = "KEYWORD_HUMAN_TRAFFICKING", "Human trafficking"
    SUICIDE = "KEYWORD_SUICIDE", "Suicide"
    SELF_MUTILATION = "KEYWORD_SELF_MUTILATION", "Self-mutilation"
    TERRORIST_CONTENT = "KEYWORD_TERRORIST_CONTENT", "Terrorist content"
    INCITEMENT_VIOLENCE_HATRED = (
        "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
        "Incitement to violence and/or hatred",
    )
    ONLINE_BULLYING_INTIMIDATION = (
        "KEYWORD_ONLINE_BULLYING_INTIMIDATION",
        "Online bullying/intimidation",
    )
    HATE_SPEECH = "KEYWORD_HATE_SPEECH", "Hate speech"
    NON_CONSENSUAL_IMAGE_SHARING = (
        "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
        "Non-consensual image sharing",
    )
    IMAGE_BASED_SEXUAL_ABUSE = "KEYWORD_IMAGE_BASED_SEXUAL_ABUSE", "Image-based sexual abuse"
    PHISHING = "KEYWORD_PHISHING", "Phishing"
    COPYRIGHT_INFRINGEMENT = "KEYWORD_COPYRIGHT_INFRINGEMENT", "Copyright infringement"
    OTHER = "KEYWORD_OTHER", "Other"


class DecisionVisibility(models.TextChoices):
    CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED", "Removal of content"
    CONTENT_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED", "Disabling access to content"
    CONTENT_DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED", "Demotion of content"
    CONTENT_AGE_RESTRICTED = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "Age restricted content"
    CONTENT_INTERACTION_RESTRICTED = (
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "Restricting interaction with content",
    )
    CONTENT_LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED", "Labelled content"
    OTHER = "DECISION_VISIBILITY_OTHER", "Other restriction"


class DecisionMonetary(models.TextChoices):
    SUSPENSION = "DECISION_MONETARY_SUSPENSION", "Suspension of monetary payments"
    TERMINATION = "DECISION_MONETARY_TERMINATION", "Termination of monetary payments"
    OTHER = "DECISION_MONETARY_OTHER", "Other restriction"


class DecisionProvision(models.TextChoices):
    PARTIAL_SUSPENSION = (
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "Partial suspension of the provision of the service",
    )
    TOTAL_SUSPENSION = (
        "DECISION_PROVISION_TOTAL_SUSPENSION",
        "Total suspension of the provision of the service",
    )
    PARTIAL_TERMINATION = (
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "Partial termination of the provision of the service",
    )
    TOTAL_TERMINATION = (
        "DECISION_PROVISION_TOTAL_TERMINATION",
        "Total termination of the provision of the service",
    )


class DecisionAccount(models.TextChoices):
    SUSPENDED = "DECISION_ACCOUNT_SUSPENDED", "Suspension of the account"
    TERMINATED = "DECISION_ACCOUNT_TERMINATED", "Termination of the account"


class DecisionGround(models.TextChoices):
    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT", "Illegal content"
    INCOMPATIBLE_CONTENT = (
        "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "Content incompatible with terms and conditions",
    )


class AutomatedDecision(models.TextChoices):
    FULLY = "AUTOMATED_DECISION_FULLY", "Fully automated"
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY", "Partially automated"
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED", "Not automated"


# The countries of the European Economic Area (ISO 3166-1 alpha-2): the territorial scope a
# statement of reasons may name.
EEA_COUNTRIES = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
)  # fmt: skip


class SourceType(models.TextChoices):
    ARTICLE_16 = "SOURCE_ARTICLE_16", "Notice submitted in accordance with Article 16 DSA"
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER", "Notice submitted by a trusted flagger"
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION", "Other type of notification"
    VOLUNTARY = "SOURCE_VOLUNTARY", "Own voluntary initiative"


class ContentType(models.TextChoices):
    APP = "CONTENT_TYPE_APP", "App"
    AUDIO = "CONTENT_TYPE_AUDIO", "Audio"
    IMAGE = "CONTENT_TYPE_IMAGE", "Image"
    PRODUCT = "CONTENT_TYPE_PRODUCT", "Product"
    SYNTHETIC_MEDIA = "CONTENT_TYPE_SYNTHETIC_MEDIA", "Synthetic media"
    TEXT = "CONTENT_TYPE_TEXT", "Text"
    VIDEO = "CONTENT_TYPE_VIDEO", "Video"
    OTHER = "CONTENT_TYPE_OTHER", "Other"
