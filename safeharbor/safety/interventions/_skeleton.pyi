def skeleton(
    text: str,
    table: bytes,
    extra: dict[int, str | None],
    symbols: str,
    letters: str,
    word_end_symbols: str,
    /,
) -> str: ...
