"""Rater-realistic load for the study benchmark: N raters, each with its own API token and keep-alive connection,
each looping GET the next question, GET the static page (as a page load would), think for a seeded random time,
POST an answer. Open-ish loop: a rater's think time, not the server, sets the request rate, as with people.
"""

import asyncio
import json
import random
from dataclasses import dataclass, field
from urllib.parse import urlparse

from _server_common import exchange

IDLE_SECONDS = 4.0  # below uvicorn's keep-alive timeout (5 s), after which it closes an idle connection


@dataclass
class RaterTally:
    next_ms: list[float] = field(default_factory=list)
    static_ms: list[float] = field(default_factory=list)
    answer_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answered: list[tuple[int, str]] = field(default_factory=list)  # (rater index, question id), each 201


async def _rater(host: str, port: int, index: int, token: str, think: tuple[float, float], seed: int,
                 stop: float, tally: RaterTally) -> None:
    rng = random.Random(f"{seed}:{index}")
    loop = asyncio.get_running_loop()
    await asyncio.sleep(rng.uniform(0, think[1]))  # raters arrive spread out, not in lock step
    reader, writer = await asyncio.open_connection(host, port)
    auth = f"Host: {host}\r\nAuthorization: Bearer {token}\r\n"
    get_next = f"GET /api/v1/study/next HTTP/1.1\r\n{auth}\r\n".encode()
    get_static = f"GET /static/style.css HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    try:
        while loop.time() < stop:
            status, body, ms = await exchange(reader, writer, get_next)
            tally.next_ms.append(ms)
            if status != 200:
                tally.errors.append(f"next {status}: {body[:120]!r}")
                break
            question = json.loads(body)["question"]
            if question is None:  # this rater's queue is done
                break
            status, _, ms = await exchange(reader, writer, get_static)
            tally.static_ms.append(ms)
            if status != 200:
                tally.errors.append(f"static {status}")
            pause = rng.uniform(*think)
            await asyncio.sleep(pause)
            if pause > IDLE_SECONDS:  # the server has closed the idle connection: a browser opens a new one
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            payload = json.dumps({"question": question["id"], "choice": rng.randrange(8)}).encode()
            post = (f"POST /api/v1/study/answers HTTP/1.1\r\n{auth}Content-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
            status, body, ms = await exchange(reader, writer, post)
            tally.answer_ms.append(ms)
            if status == 201:
                tally.answered.append((index, question["id"]))
            else:
                tally.errors.append(f"answer {status}: {body[:120]!r}")
    finally:
        writer.close()


def rater_load(url: str, tokens: list[str], seconds: float, think: tuple[float, float], seed: int) -> RaterTally:
    """Every token a rater for ``seconds`` (a rater mid-think finishes its answer after that)."""
    u = urlparse(url)
    tally = RaterTally()

    async def run() -> None:
        stop = asyncio.get_running_loop().time() + seconds
        await asyncio.gather(*[_rater(u.hostname, u.port, i, tok, think, seed, stop, tally)
                               for i, tok in enumerate(tokens)])

    asyncio.run(run())
    return tally


__all__ = ["RaterTally", "rater_load"]
