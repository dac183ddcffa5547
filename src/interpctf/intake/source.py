"""Python source from outside, parsed with its size bounded first and the parser's own limits caught.

CPython's tokenizer refuses more than 200 nested brackets and 100 indentation levels before parsing (a
``SyntaxError``, at no cost); long unary chains overflow the parser's stack (``MemoryError``, raised at once);
long postfix and operator chains (``a[0][0]...``, ``1+1+...``) fail with ``RecursionError``, after costing
memory in proportion to the source, like ordinary code of that size (measured: 100 to 300 bytes per source
byte), which is why the size is capped before anything else.
"""

import ast

from interpctf.errors import BadAnswer


def parse_python(data: bytes, name: str, max_bytes: int, hint: str) -> tuple[str, ast.Module]:
    """The source text and its syntax tree, or a one-line :class:`BadAnswer` (``hint`` says what to submit)."""
    if len(data) > max_bytes:
        raise BadAnswer(f"{name} is {len(data)} bytes; answers are at most {max_bytes} bytes")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadAnswer(f"{name} is not UTF-8 text; {hint}") from None
    try:
        return source, ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise BadAnswer(f"{name} has a syntax error at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # e.g. null bytes
        raise BadAnswer(f"{name} cannot be parsed: {exc}") from None
    except (RecursionError, MemoryError):  # the parser's own depth limits, not the machine's memory
        raise BadAnswer(f"{name} is nested too deeply to parse; split long expressions into statements") \
            from None
