"""Assigning jam projects to judges: each judge gets ``k`` projects (fewer only when fewer are eligible), never a
project of their own team, and every project gets ``floor(T/P)`` or ``ceil(T/P)`` reviews (``T`` reviews in all),
whenever such a balance exists; deterministic for a given seed.

A flow problem: source -> judge (capacity k) -> eligible project (1) -> sink. Filling the project edges first up to
``floor`` and then up to ``ceil`` gives the lower bounds, because an augmenting path never lowers the flow into the
sink; a last pass without caps fills judges when no balanced assignment exists.
"""

import math
import random
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Judge:
    id: int
    team: int | None


@dataclass(frozen=True)
class Project:
    id: int
    team: int


def eligible(judge: Judge, project: Project) -> bool:
    return judge.team is None or judge.team != project.team


class _Flow:
    def __init__(self, n: int):
        self.cap: list[dict[int, int]] = [dict() for _ in range(n)]
        self.order: list[list[int]] = [[] for _ in range(n)]

    def edge(self, a: int, b: int, c: int) -> None:
        if b not in self.cap[a]:
            self.order[a].append(b)
            self.order[b].append(a)
            self.cap[b].setdefault(a, 0)
        self.cap[a][b] = c

    def augment(self, s: int, t: int) -> bool:
        parent = {s: s}
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for v in self.order[u]:
                if v not in parent and self.cap[u][v] > 0:
                    parent[v] = u
                    if v == t:
                        while v != s:
                            u = parent[v]
                            self.cap[u][v] -= 1
                            self.cap[v][u] += 1
                            v = u
                        return True
                    queue.append(v)
        return False


def assign_reviews(judges: list[Judge], projects: list[Project], k: int, seed: int) -> dict[int, list[int]]:
    """Judge id -> sorted project ids."""
    if k < 1:
        raise ValueError("each judge needs at least one project (k >= 1)")
    rng = random.Random(seed)
    js, ps = list(judges), list(projects)
    rng.shuffle(js)
    rng.shuffle(ps)  # the shuffle decides ties, so the seed decides the assignment
    source, sink = 0, 1
    jnode = {j.id: 2 + i for i, j in enumerate(js)}
    pnode = {p.id: 2 + len(js) + i for i, p in enumerate(ps)}
    flow = _Flow(2 + len(js) + len(ps))
    total = 0
    for j in js:
        options = [p for p in ps if eligible(j, p)]
        want = min(k, len(options))
        total += want
        flow.edge(source, jnode[j.id], want)
        for p in options:
            flow.edge(jnode[j.id], pnode[p.id], 1)
    if ps:
        for limit in (total // len(ps), math.ceil(total / len(ps)), total):
            for p in ps:
                node = pnode[p.id]
                flow.edge(node, sink, max(limit - flow.cap[sink].get(node, 0), 0))
            while flow.augment(source, sink):
                pass
    out: dict[int, list[int]] = {j.id: [] for j in judges}
    for j in js:
        for p in ps:
            if flow.cap[pnode[p.id]].get(jnode[j.id], 0) > 0:  # reverse capacity = flow on the edge
                out[j.id].append(p.id)
    return {jid: sorted(v) for jid, v in out.items()}


def review_counts(assignment: dict[int, list[int]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for items in assignment.values():
        for p in items:
            counts[p] = counts.get(p, 0) + 1
    return counts
