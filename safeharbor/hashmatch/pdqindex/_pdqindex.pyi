# The C search of the PDQ index; reference.py describes the layout and is its reference.
# Matches are (position, distance) pairs sorted by position. Bad input raises ValueError.
# Arrays are any C-contiguous buffer (numpy arrays, bytes): typed `object`, as numpy's arrays
# are not `collections.abc.Buffer` to type checkers before Python 3.12.

class Searcher:
    def __init__(
        self,
        main: object,
        directories: object,
        tables: object,
        count: int,
        directory_bits: int,
        remainder_bits: int,
    ) -> None: ...
    # method: 0 picks probing or scanning by the cost model, 1 probes, 2 scans.
    def search(self, query: bytes, threshold: int, method: int = 0, /) -> list[tuple[int, int]]: ...

def scan(hashes: object, query: bytes, threshold: int, /) -> list[tuple[int, int]]: ...
def uses_probes(count: int, directory_bits: int, threshold: int, /) -> bool: ...
def has_popcnt() -> bool: ...
