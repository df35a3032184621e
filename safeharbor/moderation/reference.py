"""The policy taxonomy and review queues shipped with Safeharbor, loaded by ``safeharbor setup``.

Loading creates what is missing and never overwrites what administrators changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from safeharbor.moderation.dsa import Keyword as K
from safeharbor.moderation.dsa import StatementCategory as C
from safeharbor.moderation.models import (
    CHILD_SAFETY_ROLE,
    SLA_HOURS_BY_TIER,
    PolicyCategory,
    Queue,
)


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    tier: int
    dsa_category: str
    dsa_keyword: str
    description: str
    required_role: str = ""


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "child-sexual-abuse-material",
        "Child sexual abuse material",
        1,
        C.PROTECTION_OF_MINORS,
        K.CHILD_SEXUAL_ABUSE_MATERIAL,
        "Images, video or other material that shows the sexual abuse or exploitation of a child.",
        CHILD_SAFETY_ROLE,
    ),
    CategorySpec(
        "child-sexual-exploitation",
        "Child sexual exploitation and enticement",
        1,
        C.PROTECTION_OF_MINORS,
        K.GROOMING_SEXUAL_ENTICEMENT_MINORS,
        "Grooming, enticing or soliciting a child for sexual purposes, or trading in children.",
        CHILD_SAFETY_ROLE,
    ),
    CategorySpec(
        "sextortion",
        "Sextortion",
        1,
        C.PROTECTION_OF_MINORS,
        K.GROOMING_SEXUAL_ENTICEMENT_MINORS,
        "Threatening to share intimate images unless the victim pays or sends more; minors are "
        "the main targets, so child-safety specialists handle it.",
        CHILD_SAFETY_ROLE,
    ),
    CategorySpec(
        "trafficking",
        "Human trafficking",
        1,
        C.VIOLENCE,
        K.HUMAN_TRAFFICKING,
        "Recruiting, transporting or exploiting people by force, fraud or coercion.",
    ),
    CategorySpec(
        "imminent-self-harm",
        "Imminent self-harm or suicide",
        1,
        C.SELF_HARM,
        K.SUICIDE,
        "Someone says they are about to hurt or kill themselves.",
    ),
    CategorySpec(
        "violent-extremism",
        "Violent extremism",
        1,
        C.RISK_FOR_PUBLIC_SECURITY,
        K.TERRORIST_CONTENT,
        "Terrorist or violent extremist content, propaganda or recruitment.",
    ),
    CategorySpec(
        "violence-threats",
        "Violence and threats",
        2,
        C.VIOLENCE,
        K.INCITEMENT_VIOLENCE_HATRED,
        "Threats of violence against people, or incitement to violence.",
    ),
    CategorySpec(
        "non-consensual-intimate-imagery",
        "Non-consensual intimate imagery",
        2,
        C.NON_CONSENSUAL_BEHAVIOUR,
        K.NON_CONSENSUAL_IMAGE_SHARING,
        "Intimate images shared without the consent of the person shown, including fakes.",
    ),
    CategorySpec(
        "harassment-bullying",
        "Harassment and bullying",
        3,
        C.NON_CONSENSUAL_BEHAVIOUR,
        K.ONLINE_BULLYING_INTIMIDATION,
        "Targeted abuse, intimidation or stalking of a person.",
    ),
    CategorySpec(
        "hate",
        "Hate",
        3,
        C.ILLEGAL_OR_HARMFUL_SPEECH,
        K.HATE_SPEECH,
        "Attacks on people for a protected characteristic.",
    ),
    CategorySpec(
        "scams-fraud",
        "Scams and fraud",
        3,
        C.SCAMS_AND_FRAUD,
        "",
        "Phishing, impersonation, fake offers and other attempts to deceive people for gain.",
    ),
    CategorySpec(
        "spam",
        "Spam",
        4,
        C.SCOPE_OF_PLATFORM_SERVICE,
        "",
        "Unwanted, repetitive or automated content and platform manipulation.",
    ),
    CategorySpec(
        "intellectual-property",
        "Intellectual property",
        4,
        C.INTELLECTUAL_PROPERTY_INFRINGEMENTS,
        "",
        "Copyright, trademark or other intellectual property infringement.",
    ),
    CategorySpec(
        "other",
        "Something else",
        4,
        C.SCOPE_OF_PLATFORM_SERVICE,
        K.OTHER,
        "Anything else that breaks the rules; describe it in the free text.",
    ),
)


@dataclass(frozen=True)
class QueueSpec:
    slug: str
    name: str
    position: int
    description: str
    categories: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    required_role: str = ""
    is_escalation: bool = False


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        "child-safety",
        "Child safety",
        10,
        "Child sexual abuse material, exploitation and sextortion. Child-safety specialists only.",
        categories=("child-sexual-abuse-material", "child-sexual-exploitation", "sextortion"),
        required_role=CHILD_SAFETY_ROLE,
    ),
    QueueSpec(
        "imminent-harm",
        "Imminent harm",
        20,
        "Self-harm, trafficking and violent extremism: people may be in danger now.",
        categories=("imminent-self-harm", "trafficking", "violent-extremism"),
    ),
    QueueSpec(
        "spanish",
        "Spanish-language",
        50,
        "Every other case whose content is in Spanish.",
        languages=("es",),
    ),
    QueueSpec("general", "General", 90, "Every other case."),
    QueueSpec(
        "escalations",
        "Escalations",
        100,
        "Cases a moderator escalated for a senior decision.",
        is_escalation=True,
    ),
    QueueSpec(
        "child-safety-escalations",
        "Child-safety escalations",
        110,
        "Child-safety cases escalated for a senior decision.",
        required_role=CHILD_SAFETY_ROLE,
        is_escalation=True,
    ),
)


def load_reference_data() -> str:
    """Create missing categories and queues; keep what administrators changed."""
    created_categories = created_queues = 0
    with transaction.atomic():
        for position, spec in enumerate(CATEGORIES):
            _, created = PolicyCategory.objects.get_or_create(
                slug=spec.slug,
                defaults={
                    "name": spec.name,
                    "description": spec.description,
                    "severity_tier": spec.tier,
                    "required_role": spec.required_role,
                    "dsa_category": spec.dsa_category,
                    "dsa_keyword": spec.dsa_keyword,
                    "sla_hours": SLA_HOURS_BY_TIER[spec.tier],
                    "position": position,
                },
            )
            created_categories += created
        for queue_spec in QUEUES:
            queue, created = Queue.objects.get_or_create(
                slug=queue_spec.slug,
                defaults={
                    "name": queue_spec.name,
                    "description": queue_spec.description,
                    "position": queue_spec.position,
                    "languages": list(queue_spec.languages),
                    "required_role": queue_spec.required_role,
                    "is_escalation": queue_spec.is_escalation,
                },
            )
            if created:
                queue.categories.set(PolicyCategory.objects.filter(slug__in=queue_spec.categories))
            created_queues += created
    return f"{created_categories} categories and {created_queues} queues created"
