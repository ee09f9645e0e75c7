"""Writing a ``.npz`` atomically: into a hidden temporary beside the target, then ``os.replace``.

The temporary of a save to ``dir/m.npz`` is ``dir/.m.npz.<pid>.<random>.tmp``: the process id
of the writer is in its name. A save that fails removes its temporary (in a ``finally``); one
that is killed (``SIGKILL``, a power cut) cannot, and leaves it behind. The next save to the
same target removes the temporaries of that target whose writer is no longer running (on
POSIX; elsewhere, those older than a day), and leaves alone those of saves still under way and
of other targets. The risk that remains: after a kill, one stale temporary stays until the
target is saved again.
"""

import contextlib
import errno
import os
import re
import tempfile
import time

import numpy as np

__all__ = ["write_npz_atomically", "stale_temporaries"]

_STALE_AGE = 24 * 3600.0


def _temporary_prefix(target):
    return f".{os.path.basename(target)}.{os.getpid()}."


def _writer_is_gone(pid, path):
    if os.name != "posix":
        with contextlib.suppress(OSError):
            return time.time() - os.path.getmtime(path) > _STALE_AGE
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. PermissionError: the process exists, under another user
        return False
    return False


def stale_temporaries(target):
    """The hidden temporaries of saves to ``target`` (a resolved path) whose writer is gone.

    >>> stale_temporaries("/nonexistent_directory/m.npz")
    []
    """
    directory, base = os.path.split(target)
    pattern = re.compile(re.escape(f".{base}.") + r"(\d+)\.[A-Za-z0-9_]+\.tmp")
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    stale = []
    for name in names:
        match = pattern.fullmatch(name)
        path = os.path.join(directory, name)
        if match and _writer_is_gone(int(match.group(1)), path):
            stale.append(path)
    return sorted(stale)


def _resolved_target(path):
    """``path`` with its symbolic links resolved (a save through a link writes the link's
    target), after checking that its directory exists and that it is not a directory."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"{path}: cannot save, the directory {directory!r} does not exist", path
        )
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, f"{path}: cannot save over a directory", path)
    return target


def write_npz_atomically(path, arrays):
    """Write ``np.savez(arrays)`` to ``path``, atomically: ``path`` holds either its previous
    content or the complete new archive, never a part of it.

    Parameters
    ----------
    path : str
        Where to write; a symbolic link is followed (its target is replaced, the link stays).
    arrays : dict of str -> ndarray

    Raises
    ------
    OSError
        If the directory does not exist or the file cannot be written; the message names
        ``path`` (not the temporary file).
    """
    target = _resolved_target(path)
    for stale in stale_temporaries(target):
        with contextlib.suppress(OSError):
            os.unlink(stale)
    directory = os.path.dirname(target)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=_temporary_prefix(target), suffix=".tmp", dir=directory
        )
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        if error.errno is None:
            raise type(error)(f"{path}: cannot save: {error}") from error
        raise type(error)(
            error.errno, f"{path}: cannot save: {error.strerror}", path
        ) from error
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
