"""The process inside the agents' ``python`` tool sandbox (see :mod:`interpctf.inspect.repl`): a REPL loop.

It confines itself (its uid, rlimits) before anything else, then answers requests one at a time: a request is a
4-byte big-endian length and a JSON object ``{"id", "code"}`` on the host's data pipe; the reply is one JSON line
on the report pipe with the request's id (the host skips lines with any other), the captured stdout and stderr and the repr of the last expression, each capped. Every request runs in the
same namespace, so variables survive from one call to the next. Stdlib only (plus what the agent imports): torch
and numpy are importable from the read-only site-packages, the public bundle is at ``/bundle``, the one writable
folder is the scratch workspace ``/work`` (the working directory).

From the first request on, this process runs the agent's code, which can change anything in it: a reply is a
claim the host bounds and shows to the agent who wrote the code, never anything trusted.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import traceback

FILENAME = "<python>"  # the agent's code in tracebacks


class _Capped:
    """A text stream that keeps at most ``limit`` characters and notes that it cut the rest."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size, self.cut = limit, [], 0, False

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.size
        if len(text) > room:
            self.cut = True
            text = text[:max(room, 0)]
        self.parts.append(text)
        self.size += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(self.parts) + (f"\n[... cut at {self.limit} characters]" if self.cut else "")


def _read_exact(fd: int, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _short_traceback(exc: BaseException) -> str:
    """The traceback from the agent's own first frame on (this module's exec frame left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != FILENAME:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def run_cell(source: str, namespace: dict, limit: int) -> dict:
    """Exec ``source`` in ``namespace``; the value of a final expression is returned as its repr."""
    out, err = _Capped(limit), _Capped(limit)
    result = None
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        tree = ast.parse(source, FILENAME, "exec")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, FILENAME, "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), FILENAME, "eval"), namespace)
            if value is not None:
                result = _Capped(limit)
                result.write(repr(value))
                result = result.text()
    except SyntaxError as exc:
        err.write("".join(traceback.format_exception_only(type(exc), exc)))
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the REPL goes on
        err.write(_short_traceback(exc))
    finally:
        sys.stdout, sys.stderr = saved
    return {"stdout": out.text(), "stderr": err.text(), "result": result}


def main() -> None:
    from interpctf.sandbox.confine import confine, exit_when_the_host_goes

    line = b""
    while b"\n" not in line and len(line) < 1 << 16:
        chunk = os.read(0, 4096)
        if not chunk:
            os._exit(75)
        line += chunk
    spec = json.loads(line.split(b"\n")[0])
    confine(spec["uid"], cpu_seconds=spec["cpu_seconds"], memory_bytes=spec["memory_bytes"],
            processes=spec["processes"], file_bytes=spec["file_bytes"])
    exit_when_the_host_goes()
    requests, replies, limit = spec["data_fd"], spec["report_fd"], spec["output_chars"]
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    os.write(replies, b'{"ready": true}\n')
    while True:
        header = _read_exact(requests, 4)
        if header is None:
            os._exit(0)
        body = _read_exact(requests, int.from_bytes(header, "big"))
        if body is None:
            os._exit(0)
        request = json.loads(body)
        reply = {"id": request["id"], **run_cell(request["code"], namespace, limit)}
        data = json.dumps(reply).encode() + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(replies, view):]
