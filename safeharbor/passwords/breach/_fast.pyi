from typing_extensions import Buffer

def count(
    buffer: Buffer,
    digest: bytes,
    directory_at: int,
    width: int,
    sub_bits: int,
    bitmap_at: int,
    records_at: int,
    record_size: int,
    exact: bool,
    escape_directory_at: int,
    escapes_at: int,
    /,
) -> int: ...
def range_body(
    buffer: Buffer,
    bucket: int,
    directory_at: int,
    width: int,
    sub_bits: int,
    bitmap_at: int,
    records_at: int,
    record_size: int,
    escape_directory_at: int,
    escapes_at: int,
    /,
) -> bytes: ...
