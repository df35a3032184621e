"""The media hashing and matching API.

    POST /media/hash          multipart ``file``            -> the file's hashes and PDQ quality
    POST /media/hash/batch    multipart ``file`` (repeated) -> one result or error per file
    POST /media/match         multipart ``file`` + content fields, or JSON hashes + content
                              -> matches, and the case a match opened or joined
    POST /media/match/batch   multipart files + ``content_id`` per file, or JSON ``{items}``

Uploads are hashed in memory and forgotten, except media that matched an enabled bank, which is
kept encrypted for its case. One item failing in a batch does not fail the others.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticError

from safeharbor.accounts.api_auth import APIKeyAuth, api_key_of
from safeharbor.core.problems import Problem
from safeharbor.hashmatch.actioning import Content, action_matches
from safeharbor.hashmatch.hashing import MAX_MEDIA_BYTES, MediaHashes, UnreadableMedia, hash_media
from safeharbor.hashmatch.matching import Match, match_hashes, match_media
from safeharbor.hashmatch.schemas import (
    MAX_BATCH,
    ContentIn,
    HashBatchItemOut,
    HashBatchOut,
    HashesBatchIn,
    HashesIn,
    HashesOut,
    MatchBatchItemOut,
    MatchBatchOut,
    MatchOut,
    MatchResultOut,
)

router = Router(tags=["Media hash matching"])

MULTIPART_OVERHEAD = 64 * 1024
MAX_BATCH_BYTES = 200 * 1024 * 1024

_UPLOAD_BODY = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}},
        }
    }
}


def _openapi(json_schema: str | None = None, *, batch: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": (
                        {"type": "array", "items": {"type": "string", "format": "binary"}}
                        if batch
                        else {"type": "string", "format": "binary"}
                    ),
                    **(
                        {
                            "content_id": (
                                {"type": "array", "items": {"type": "string"}}
                                if batch
                                else {"type": "string"}
                            ),
                            "content_url": {"type": "string"},
                            "author_id": {"type": "string"},
                        }
                        if json_schema
                        else {}
                    ),
                },
            }
        }
    }
    if json_schema:
        content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{json_schema}"}}
    return {"requestBody": {"required": True, "content": content}}


def _too_large(limit: int) -> Problem:
    return Problem(
        "payload-too-large",
        f"The upload is larger than this operation accepts ({limit:,} bytes).",
        max_length=limit,
    )


def _check_length(request: HttpRequest, limit: int) -> None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit)


def _invalid(loc: list[str | int], message: str) -> ValidationError:
    return ValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def _uploads(request: HttpRequest, *, most: int) -> list[tuple[str, bytes]]:
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise _invalid(["body"], "Send the media as multipart/form-data with a field 'file'.")
    files = request.FILES.getlist("file")
    if not files:
        raise _invalid(["body", "file"], "The field 'file' is missing.")
    if len(files) > most:
        raise _invalid(["body", "file"], f"At most {most} files per request.")
    uploads = []
    for upload in files:
        if (upload.size or 0) > MAX_MEDIA_BYTES:
            raise _too_large(MAX_MEDIA_BYTES)
        uploads.append((upload.name or "", upload.read()))
    return uploads


def _hash(data: bytes, loc: list[str | int]) -> MediaHashes:
    try:
        return hash_media(data)
    except UnreadableMedia as error:
        raise _invalid(loc, str(error)) from None


def _errors(error: PydanticError, prefix: list[str | int]) -> ValidationError:
    return ValidationError(
        [
            {"loc": prefix + list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in error.errors()
        ]
    )


def _content(fields: dict[str, Any], loc: list[str | int]) -> Content:
    try:
        parsed = ContentIn.model_validate(fields)
    except PydanticError as error:
        raise _errors(error, loc) from None
    return Content(parsed.content_id, parsed.content_url, parsed.author_id, parsed.content_language)


def _result(
    content: Content, matches: list[Match], request: HttpRequest, **media: Any
) -> MatchResultOut:
    actioned = action_matches(matches, content, api_key=api_key_of(request), **media)
    return MatchResultOut(
        content_id=content.content_id,
        matched=bool(matches),
        matches=[
            MatchOut(
                bank=m.bank.slug,
                bank_name=m.bank.name,
                category=m.bank.category.slug,
                severity_tier=m.bank.severity_tier,
                signal_type=m.signal_type,
                distance=m.distance,
                entry_id=m.entry.pk,
                query_hash=m.query_hash,
            )
            for m in matches
        ],
        case_id=actioned.case.public_id if actioned else None,
    )


def _match_upload(
    request: HttpRequest, content: Content, name: str, data: bytes, loc: list[str | int]
) -> MatchResultOut:
    hashes = _hash(data, loc)
    result = _result(
        content,
        match_media(hashes),
        request,
        kind=hashes.kind,
        media=data,
        media_type=_media_type(hashes),
    )
    result.hashes = HashesOut.of(hashes)
    return result


def _media_type(hashes: MediaHashes) -> str:
    return {"image": "image/*", "video": "video/*"}.get(hashes.kind, "application/octet-stream")


def _match_given(request: HttpRequest, item: HashesIn) -> MatchResultOut:
    content = Content(item.content_id, item.content_url, item.author_id, item.content_language)
    matches = match_hashes(md5=item.md5, sha256=item.sha256, pdq=item.pdq)
    return _result(content, matches, request, kind="image" if item.pdq else "other")


def _json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Problem("malformed-request", "The body is not valid JSON.") from None


@router.post(
    "/media/hash",
    response={200: HashesOut},
    auth=APIKeyAuth("media:hash"),
    openapi_extra={"requestBody": {"required": True, "content": _UPLOAD_BODY}},
    summary="Hash one file: MD5, SHA-256 and, for images, PDQ with its quality",
)
def hash_upload(request: HttpRequest) -> HashesOut:
    _check_length(request, MAX_MEDIA_BYTES)
    ((_name, data),) = _uploads(request, most=1)
    return HashesOut.of(_hash(data, ["body", "file"]))


@router.post(
    "/media/hash/batch",
    response={200: HashBatchOut},
    auth=APIKeyAuth("media:hash"),
    openapi_extra=_openapi(batch=True),
    summary=f"Hash up to {MAX_BATCH} files (repeat the field 'file')",
)
def hash_batch(request: HttpRequest) -> HashBatchOut:
    _check_length(request, MAX_BATCH_BYTES)
    items = []
    for index, (name, data) in enumerate(_uploads(request, most=MAX_BATCH)):
        try:
            hashes = hash_media(data)
        except UnreadableMedia as error:
            items.append(HashBatchItemOut(index=index, filename=name, ok=False, error=str(error)))
        else:
            items.append(
                HashBatchItemOut(index=index, filename=name, ok=True, hashes=HashesOut.of(hashes))
            )
    return HashBatchOut(items=items)


@router.post(
    "/media/match",
    response={200: MatchResultOut},
    auth=APIKeyAuth("media:match"),
    openapi_extra=_openapi("HashesIn"),
    summary="Match one upload or one set of hashes against the enabled banks",
    description=(
        "A match opens or joins the content's moderation case (the bank's category, top "
        "priority) and sends the `hashmatch.matched` webhook; an uploaded file that matched is "
        "kept encrypted for that case. Nothing is stored when nothing matched."
    ),
)
def match(request: HttpRequest) -> MatchResultOut:
    _check_length(request, MAX_MEDIA_BYTES)
    if (request.content_type or "").startswith("multipart/form-data"):
        ((name, data),) = _uploads(request, most=1)
        content = _content(request.POST.dict(), ["body"])
        return _match_upload(request, content, name, data, ["body", "file"])
    try:
        item = HashesIn.model_validate(_json(request))
    except PydanticError as error:
        raise _errors(error, ["body"]) from None
    return _match_given(request, item)


@router.post(
    "/media/match/batch",
    response={200: MatchBatchOut},
    auth=APIKeyAuth("media:match"),
    openapi_extra=_openapi("HashesBatchIn", batch=True),
    summary=f"Match up to {MAX_BATCH} uploads (each with its content_id) or hash sets",
)
def match_batch(request: HttpRequest) -> MatchBatchOut:
    _check_length(request, MAX_BATCH_BYTES)
    items = []
    if (request.content_type or "").startswith("multipart/form-data"):
        uploads = _uploads(request, most=MAX_BATCH)
        content_ids = request.POST.getlist("content_id")
        if len(content_ids) != len(uploads):
            raise _invalid(
                ["body", "content_id"],
                "Give one content_id per file, in the same order as the files.",
            )
        for index, (name, data) in enumerate(uploads):
            try:
                content = _content(
                    {"content_id": content_ids[index]}, ["body", "content_id", index]
                )
                result = _match_upload(request, content, name, data, ["body", "file", index])
            except ValidationError as error:
                message = "; ".join(str(e.get("msg", "")) for e in error.errors)
                items.append(MatchBatchItemOut(index=index, filename=name, ok=False, error=message))
            else:
                items.append(MatchBatchItemOut(index=index, filename=name, ok=True, result=result))
        return MatchBatchOut(items=items)
    try:
        batch = HashesBatchIn.model_validate(_json(request))
    except PydanticError as error:
        raise _errors(error, ["body"]) from None
    for index, item in enumerate(batch.items):
        items.append(MatchBatchItemOut(index=index, ok=True, result=_match_given(request, item)))
    return MatchBatchOut(items=items)
