"""Reading a ``.npz`` archive without trusting it: every entry's header is checked against the
bytes the archive really holds before any array is allocated, and nothing is unpickled.

:func:`read_headers` lists the entries as ``{key: (shape, dtype)}`` from their ``.npy``
headers alone; :func:`read_arrays` then reads the arrays, which can be no larger than the file.
Both raise :class:`ArchiveError` (a ValueError) saying what is wrong, without the path (the
caller, :mod:`dlbook.saving`, puts it in front).
"""

import zipfile

import numpy as np

__all__ = ["ArchiveError", "read_headers", "read_arrays", "NPY_MAGIC"]

#: The first bytes of a ``.npy`` file (a single array rather than an archive).
NPY_MAGIC = b"\x93NUMPY"

_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
_LARGEST_HEADER = 1 << 16


class ArchiveError(ValueError):
    """The archive or one of its entries is not what :func:`numpy.savez` writes."""


def _entry_header(archive, info):
    """``(shape, dtype, data_offset)`` of one ``.npy`` entry, from its header only."""
    name = info.filename
    if info.compress_type != zipfile.ZIP_STORED:
        raise ArchiveError(
            f"entry {name!r} is compressed; a checkpoint holds uncompressed entries, as "
            f"numpy.savez writes them"
        )
    with archive.open(info) as entry:
        try:
            version = np.lib.format.read_magic(entry)
        except ValueError:
            raise ArchiveError(f"entry {name!r} is not a .npy array") from None
        if version not in _HEADER_READERS:
            raise ArchiveError(f"entry {name!r} has .npy format version {version}, "
                               f"needs 1.0 or 2.0")
        try:
            shape, fortran_order, dtype = _HEADER_READERS[version](
                entry, max_header_size=_LARGEST_HEADER
            )
        except (ValueError, SyntaxError, TypeError) as error:
            raise ArchiveError(f"entry {name!r} has a malformed .npy header ({error})") from None
        offset = entry.tell()
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ArchiveError(
            f"entry {name!r} has dtype {dtype}; a checkpoint holds plain numbers and text, "
            f"never pickled objects or records"
        )
    if fortran_order and len(shape) > 1:
        raise ArchiveError(f"entry {name!r} is stored in Fortran order; numpy.savez writes C order")
    count = 1
    for size in shape:
        count *= size
    if count * dtype.itemsize != info.file_size - offset:
        raise ArchiveError(
            f"entry {name!r} declares shape {shape} of {dtype} ({count * dtype.itemsize} bytes) "
            f"but holds {info.file_size - offset} bytes"
        )
    return shape, dtype


def _open(path, file_size):
    with open(path, "rb") as file:
        start = file.read(len(NPY_MAGIC))
    if start == NPY_MAGIC:
        raise ArchiveError("holds a single .npy array, not a dlbook model (.npz)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as error:
        raise ArchiveError(f"cannot be read as a dlbook model (.npz): {error}") from None
    declared = sum(info.file_size for info in archive.infolist())
    if declared > file_size:
        archive.close()
        raise ArchiveError(
            f"its entries declare {declared} bytes, more than the file's {file_size}; it is "
            f"truncated or crafted"
        )
    return archive


def read_headers(path, file_size):
    """``{key: (shape, dtype)}`` for every entry ``key + '.npy'`` of the archive at ``path``.

    Parameters
    ----------
    path : str
    file_size : int
        The file's size in bytes: no entry may declare more than the file holds.

    Raises
    ------
    ArchiveError
        If the file is a single ``.npy``, not a zip, compressed, holds an entry that is not a
        ``.npy`` array (or twice the same one), an object, record or Fortran-ordered array, or
        an entry whose header declares more or fewer bytes than it holds.
    """
    headers = {}
    try:
        with _open(path, file_size) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise ArchiveError(f"entry {info.filename!r} is not a .npy array")
                key = info.filename[: -len(".npy")]
                if key in headers:
                    raise ArchiveError(f"entry {info.filename!r} appears twice")
                headers[key] = _entry_header(archive, info)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as error:
        raise ArchiveError(f"cannot be read as a dlbook model (.npz): {error}") from None
    return headers


def read_arrays(path, headers):
    """The arrays of ``headers``'s entries (checked by :func:`read_headers`), pickles refused.

    Raises
    ------
    ArchiveError
        If an entry cannot be read (a bad checksum, a file changed since its headers were read).
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for key, (shape, dtype) in headers.items():
                with archive.open(key + ".npy") as entry:
                    array = np.lib.format.read_array(entry, allow_pickle=False)
                if array.shape != shape or array.dtype != dtype:
                    raise ArchiveError(f"entry {key!r} changed while it was read")
                arrays[key] = array
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise ArchiveError(f"cannot be read as a dlbook model (.npz): {error}") from None
    except ValueError as error:
        if isinstance(error, ArchiveError):
            raise
        raise ArchiveError(f"cannot be read as a dlbook model (.npz): {error}") from None
    return arrays
