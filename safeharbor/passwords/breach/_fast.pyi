from typing_extensions import Buffer

# The layout arguments, in order: directory_at, width, sub_bits, bitmap_at, records_at,
# record_size, escape_directory_at, escapes_at, record_count, escape_count. A corrupt file
# raises ValueError ("the index file is corrupt: ...").
def count(
    buffer: Buffer,
    digest: bytes,
    directory_at: int,
    width: int,
    sub_bits: int,
    bitmap_at: int,
    records_at: int,
    record_size: int,
    escape_directory_at: int,
    escapes_at: int,
    record_count: int,
    escape_count: int,
    exact: bool,
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
    record_count: int,
    escape_count: int,
    /,
) -> bytes: ...
