"""A memory and process budget for a group of processes: a cgroup where the host allows one, else a watchdog.

API (also used by the forge profile)::

    group = ResourceGroup.create("sandbox", memory_bytes=1 << 30, pids=32, reaper=server_pid)
    group.add(pid)              # the process and everything it starts from now on count against the budget
    group.add_supervisor(pid)   # a trusted parent joins the group, its own memory never killed for the budget;
                                # each child it forks is then passed to add() (cheap: no migration)
    group.set_limits(memory_bytes, pids)   # change the budget (between runs)
    group.reset()               # forget earlier events, before a new run reuses the group
    group.memory_exceeded()     # True if the group went over its memory budget since create()/reset()
    group.kill()                # SIGKILL every process in the group
    group.close()               # kill, then remove the group
    isolation_mode()            # "cgroup-v2", "cgroup-v1" or "watchdog": what ResourceGroup.create gives here

The three modes, best first:

* ``cgroup-v2``: a child of this process's own cgroup with ``memory.max``, ``memory.swap.max = 0``,
  ``memory.oom.group = 1`` and ``pids.max``; the OOM count is read from ``memory.events`` (``oom_kill``).
* ``cgroup-v1``: a child of this process's own group in each of the ``memory`` and ``pids`` hierarchies, with
  ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes`` where swap is accounted), the OOM killer left on
  (``memory.oom_control``, whose ``oom_kill`` count says a process was killed) and ``pids.max``.
  In both cgroup modes the kernel charges every page the group's processes use: heap, stacks, page cache,
  tmpfs files and memfds, whoever of the group touched them first; over the budget it kills the largest process
  of the group, never one outside it.

  Moving a process into a cgroup costs a synchronize_rcu (about 10 ms here) once the last move is a few ms old,
  so a supervisor that forks one child per run joins the group once (``add_supervisor``) and its children are
  born inside; ``add(child)`` then only raises the child's ``oom_score_adj`` to 1000 (allowed without
  privileges; lowering the supervisor's would need CAP_SYS_RESOURCE), before the child runs anything. The OOM
  killer scores a process by its resident pages plus ``oom_score_adj`` thousandths of the group's limit, so it
  picks the supervisor only if nothing else of the group is left or the supervisor's own resident set exceeds a
  child's by more than the whole limit. Where the supervisor's score is already high, it stays out and each
  child is moved in instead.
* ``watchdog``: where no cgroup is writable (an unprivileged grader, a container without delegation), a thread
  polls every ``POLL_SECONDS`` and sums, over every process of the group (the added pids, their descendants and,
  if ``reaper`` is given, every child tree of the reaper, which adopts orphans), its proportional resident set
  (``/proc/PID/smaps_rollup`` Pss, without shared memory), plus shared memory counted once per file: memfds held
  open or mapped, and the ``/tmp`` tmpfs seen by the group when it is not the host's. Over the budget it SIGKILLs
  the whole group. Allocations between two polls can overshoot, which is why the sandbox keeps a per-process
  RLIMIT_AS too.
"""

from __future__ import annotations

import itertools
import os
import posixpath
import signal
import threading
import time
from pathlib import Path

POLL_SECONDS = 0.01
_names = itertools.count(1)


# ---------------------------------------------------------------------------------------------- process trees
def children_of(pid: int) -> list[int]:
    """Host pids of the live children of ``pid`` (empty if it is gone)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found += [int(c) for c in fh.read().split()]
        except FileNotFoundError:
            if tid == str(pid) and not os.path.exists(f"/proc/{pid}/task/{tid}/children"):
                return _children_by_scan(pid)  # a kernel without CONFIG_PROC_CHILDREN
        except (OSError, ValueError):
            continue
    return found


def _children_by_scan(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def descendants(roots) -> list[int]:
    """``roots`` that are alive and all their descendants, each once."""
    seen: list[int] = []
    stack = [r for r in roots if os.path.exists(f"/proc/{r}")]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.append(pid)
        stack += children_of(pid)
    return seen


# ---------------------------------------------------------------------------------------------------- the API
class ResourceGroup:
    """A group of processes with a memory and a process budget. Build one with ``ResourceGroup.create``."""

    mode = "none"

    def __init__(self, memory_bytes: int, pids: int) -> None:
        self.memory_bytes = int(memory_bytes)
        self.pids = int(pids)

    @classmethod
    def create(cls, name: str, memory_bytes: int, pids: int, *, reaper: int | None = None) -> "ResourceGroup":
        """The best group this host allows (see the module docstring); ``reaper`` matters to the watchdog only."""
        if memory_bytes < 1 or pids < 1:
            raise ValueError("a resource group needs a positive memory and process budget")
        label = f"interpctf-{name}-{os.getpid()}-{next(_names)}"
        for kind in (_CgroupV2, _CgroupV1):
            try:
                return kind(label, memory_bytes, pids)
            except OSError:
                continue
        return _Watchdog(memory_bytes, pids, reaper)

    def add(self, pid: int) -> None:
        raise NotImplementedError

    def add_supervisor(self, pid: int) -> None:
        raise NotImplementedError

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        self.memory_bytes, self.pids = int(memory_bytes), int(pids)

    def reset(self) -> None:
        raise NotImplementedError

    def memory_exceeded(self) -> bool:
        raise NotImplementedError

    def members(self) -> list[int]:
        """Host pids of the group's live processes."""
        raise NotImplementedError

    def kill(self) -> None:
        """SIGKILL every process of the group, repeating until none is left (or 2 s have passed)."""
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            pids = self.members()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.001)

    def close(self) -> None:
        self.kill()

    def __enter__(self) -> "ResourceGroup":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------- cgroups
def _own_paths() -> dict[str, str]:
    """Controller (or "" for the v2 hierarchy) -> this process's cgroup path, from /proc/self/cgroup."""
    paths = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _id, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _mounts(fstype: str) -> list[tuple[str, str, set[str]]]:
    """(mount root, mount point, super options) of every mounted ``fstype`` file system."""
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == fstype:
                found.append((fields[3], fields[4], set(fields[sep + 3].split(","))))
    return found


def _own_dir(mount_root: str, mount_point: str, own: str) -> Path:
    relative = os.path.relpath(own, mount_root)
    if relative.startswith(".."):
        raise OSError("this process's cgroup is not visible in the mounted hierarchy")
    return Path(mount_point) / relative


def _write(path: Path, value) -> None:
    with open(path, "w") as fh:
        fh.write(str(value))


def _read_key(path: Path, key: str) -> int:
    with open(path) as fh:
        for line in fh:
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    raise OSError(f"{path} has no {key}")


def _remove(directory: Path) -> None:
    for _ in range(200):  # rmdir is refused (EBUSY) until the last killed task is gone
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.005)


def _sweep(parent: Path) -> None:
    """Remove the empty groups of our processes that died without closing them (killed, or crashed)."""
    for entry in parent.glob("interpctf-*-*-*"):
        try:
            owner = int(entry.name.rsplit("-", 2)[1])
        except ValueError:
            continue
        if not os.path.exists(f"/proc/{owner}"):
            try:
                entry.rmdir()  # refused while any process is left in it
            except OSError:
                pass


class _Cgroup(ResourceGroup):
    dirs: list[Path]

    def _make(self, parent: Path, label: str) -> Path:
        if not os.access(parent, os.W_OK):
            raise PermissionError(f"{parent} is not writable")
        _sweep(parent)
        directory = parent / label
        directory.mkdir()
        self.dirs.append(directory)
        return directory

    supervisor: int | None = None

    def add(self, pid: int) -> None:
        if self.supervisor is None or not self._inside(pid):
            for directory in self.dirs:
                _write(directory / "cgroup.procs", pid)
        if self.supervisor is not None:
            _write(Path(f"/proc/{pid}/oom_score_adj"), 1000)  # the OOM killer's first choice, before the supervisor

    def add_supervisor(self, pid: int) -> None:
        try:
            if int(Path(f"/proc/{pid}/oom_score_adj").read_text()) > 0:
                return  # it would compete with its children: it stays out, and they are moved in one by one
        except (OSError, ValueError):
            return
        for directory in self.dirs:
            _write(directory / "cgroup.procs", pid)
        self.supervisor = pid
        self.set_limits(self.memory_bytes, self.pids)  # one more process: the supervisor

    def _inside(self, pid: int) -> bool:
        """Whether ``pid`` is already in this group in every hierarchy (as a child forked inside is)."""
        try:
            with open(f"/proc/{pid}/cgroup") as fh:
                return self._paths <= {line.rstrip("\n").split(":", 2)[2] for line in fh}
        except (OSError, IndexError):
            return False

    def _pids_max(self, pids: int) -> int:
        return int(pids) + (self.supervisor is not None)

    def members(self) -> list[int]:
        pids: set[int] = set()
        for directory in self.dirs:
            try:
                pids.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(pids)

    def reset(self) -> None:
        self._baseline = self._oom_kills()

    def memory_exceeded(self) -> bool:
        return self._oom_kills() > self._baseline

    def _oom_kills(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        self.kill()
        for directory in reversed(self.dirs):
            _remove(directory)
        self.dirs = []


class _CgroupV2(_Cgroup):
    mode = "cgroup-v2"

    def __init__(self, label: str, memory_bytes: int, pids: int) -> None:
        super().__init__(memory_bytes, pids)
        self.dirs = []
        mounts = [m for m in _mounts("cgroup2")]
        own = _own_paths().get("")
        if not mounts or own is None:
            raise OSError("no cgroup v2 hierarchy")
        root, point, _options = mounts[0]
        parent = _own_dir(root, point, own)
        if not {"memory", "pids"} <= set((parent / "cgroup.controllers").read_text().split()):
            raise OSError("the memory and pids controllers are not available to this cgroup")
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if not {"memory", "pids"} <= enabled:
            _write(parent / "cgroup.subtree_control", "+memory +pids")  # refused while we hold processes there
        self.dir = self._make(parent, label)
        self._paths = {posixpath.join(own, label)}
        try:
            if (self.dir / "memory.swap.max").exists():
                _write(self.dir / "memory.swap.max", 0)
            _write(self.dir / "memory.oom.group", 1)  # an OOM kills the whole group, not just its largest process
            self.set_limits(memory_bytes, pids)
            self.reset()
        except OSError:
            self.close()
            raise

    def add_supervisor(self, pid: int) -> None:
        _write(self.dir / "memory.oom.group", 0)  # a group kill would take the supervisor along
        super().add_supervisor(pid)
        if self.supervisor is None:
            _write(self.dir / "memory.oom.group", 1)

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        _write(self.dir / "memory.max", int(memory_bytes))
        _write(self.dir / "pids.max", self._pids_max(pids))
        super().set_limits(memory_bytes, pids)

    def _oom_kills(self) -> int:
        return _read_key(self.dir / "memory.events", "oom_kill")

    def kill(self) -> None:
        if (self.dir / "cgroup.kill").exists():
            try:
                _write(self.dir / "cgroup.kill", 1)
            except OSError:
                pass
        super().kill()


class _CgroupV1(_Cgroup):
    mode = "cgroup-v1"

    def __init__(self, label: str, memory_bytes: int, pids: int) -> None:
        super().__init__(memory_bytes, pids)
        self.dirs = []
        own = _own_paths()
        places = {}
        for root, point, options in _mounts("cgroup"):
            for controller in ("memory", "pids"):
                if controller in options and controller in own:
                    places[controller] = _own_dir(root, point, own[controller])
        if set(places) != {"memory", "pids"}:
            raise OSError("the cgroup v1 memory and pids controllers are not both mounted")
        try:
            self.memory_dir = self._make(places["memory"], label)
            self.pids_dir = self._make(places["pids"], label)
            self._paths = {posixpath.join(own[c], label) for c in ("memory", "pids")}
            self._memsw = (self.memory_dir / "memory.memsw.limit_in_bytes").exists()
            _write(self.memory_dir / "memory.oom_control", 0)  # keep the OOM killer: a paused answer helps nobody
            self._oom_kills()  # this kernel reports OOM kills (4.13+), or the mode is useless
            self.set_limits(memory_bytes, pids)
            self.reset()
        except OSError:
            self.close()
            raise

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        memory = int(memory_bytes)
        # memsw (memory + swap) must stay >= the memory limit at every step: raise it first, lower it last.
        raising = getattr(self, "_set", False) and memory > self.memory_bytes
        order = ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
        if not raising:
            order.reverse()
        for name in order:
            if name != "memory.memsw.limit_in_bytes" or self._memsw:
                _write(self.memory_dir / name, memory)
        _write(self.pids_dir / "pids.max", self._pids_max(pids))
        self._set = True
        super().set_limits(memory_bytes, pids)

    def _oom_kills(self) -> int:
        return _read_key(self.memory_dir / "memory.oom_control", "oom_kill")


# --------------------------------------------------------------------------------------------------- watchdog
def _rollup(pid: int) -> tuple[int, int]:
    """(Pss, Pss_Shmem) of a process in bytes, from /proc/PID/smaps_rollup."""
    pss = shmem = 0
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) << 10
            elif line.startswith("Pss_Shmem:"):
                shmem = int(line.split()[1]) << 10
    return pss, shmem


def _memfds(pid: int, counted: dict) -> bool:
    """Record the memfds ``pid`` holds open in ``counted`` (inode -> bytes); True if it maps one it does not."""
    held = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("/memfd:"):
                    st = os.stat(f"/proc/{pid}/fd/{fd}")
                    counted[(st.st_dev, st.st_ino)] = st.st_blocks * 512
                    held.add(st.st_ino)
            except OSError:
                continue
        with open(f"/proc/{pid}/maps") as fh:
            for line in fh:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith("/memfd:") and int(fields[4]) not in held:
                    return True
    except OSError:
        pass
    return False


def _tmp_usage(pid: int, host_tmp: int) -> tuple[int, int] | None:
    """(device, bytes used) of the /tmp the process sees, unless it is the host's own /tmp."""
    try:
        path = f"/proc/{pid}/root/tmp"
        dev = os.stat(path).st_dev
        if dev == host_tmp:
            return None
        vfs = os.statvfs(path)
        return dev, (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    except OSError:
        return None


def group_memory(pids) -> int:
    """What the watchdog counts for these processes, in bytes (see the module docstring)."""
    try:
        host_tmp = os.stat("/tmp").st_dev
    except OSError:
        host_tmp = -1
    total, shared, tmpfs = 0, {}, {}
    for pid in pids:
        try:
            pss, pss_shmem = _rollup(pid)
        except (OSError, ValueError):
            continue
        total += pss - pss_shmem
        if _memfds(pid, shared):
            total += pss_shmem  # a memfd mapped but not held: its mapped share is all we can see of it
        usage = _tmp_usage(pid, host_tmp)
        if usage is not None:
            tmpfs[usage[0]] = usage[1]
    return total + sum(shared.values()) + sum(tmpfs.values())


class _Watchdog(ResourceGroup):
    mode = "watchdog"

    def __init__(self, memory_bytes: int, pids: int, reaper: int | None) -> None:
        super().__init__(memory_bytes, pids)
        self.reaper = reaper
        self._roots: list[int] = []
        self._exceeded = False
        self._closed = False
        self._epoch = 0  # one per run (reset): a poll that began in an earlier run never acts on a later one
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="interpctf-watchdog", daemon=True)
        self._thread.start()

    def add(self, pid: int) -> None:
        with self._wake:
            self._roots.append(int(pid))
            self._wake.notify()

    def add_supervisor(self, pid: int) -> None:
        self.reaper = int(pid)  # not counted; its children are, and so are the orphans it adopts

    def reset(self) -> None:
        with self._wake:
            self._epoch += 1
            self._exceeded = False
            self._roots = [p for p in self._roots if os.path.exists(f"/proc/{p}")]

    def memory_exceeded(self) -> bool:
        if not self._exceeded:
            self._check()  # one last look: the run may have ended between two polls
        return self._exceeded

    def members(self) -> list[int]:
        roots = list(self._roots)
        if self.reaper is not None:
            roots += children_of(self.reaper)
        return [p for p in descendants(roots) if p != self.reaper]

    def _check(self) -> None:
        with self._wake:
            epoch = self._epoch
        pids = self.members()
        if not pids:
            return
        over_memory = group_memory(pids) > self.memory_bytes
        if not over_memory and len(pids) <= self.pids:
            return
        with self._wake:  # reset() waits for the kill, and a kill never outlives the run it measured
            if epoch != self._epoch:
                return
            self._exceeded = self._exceeded or over_memory
            for _ in range(3):  # the group may fork while it is being killed
                for pid in self.members():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed and not self._roots:
                    self._wake.wait()
                if self._closed:
                    return
            self._check()
            with self._wake:  # under the lock: a root added meanwhile must not be lost
                self._roots = [p for p in self._roots if os.path.exists(f"/proc/{p}")]
            time.sleep(POLL_SECONDS)

    def close(self) -> None:
        self.kill()
        with self._wake:
            self._closed = True
            self._wake.notify()


_mode: str | None = None


def isolation_mode() -> str:
    """The mode ``ResourceGroup.create`` gives on this host (probed once by creating and removing a group)."""
    global _mode
    if _mode is None:
        group = ResourceGroup.create("probe", 64 << 20, 8)
        _mode = group.mode
        group.close()
    return _mode
