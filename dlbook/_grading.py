"""How an exercise check answers a reader: one pass line, or an exception naming the first bad case.

:mod:`dlbook.exercises` and :mod:`dlbook.optimizer_exercises` run a reader's function through
:func:`dlbook.verify.run_cases` and hand the :class:`~dlbook.verify.Report` to :func:`verdict`.

>>> from dlbook.verify import Report
>>> verdict(Report(name="my_relu", n_cases=3, n_passed=3), "central differences")
Passed: my_relu agrees with central differences on all 3 cases.
"""

__all__ = ["ExerciseFailed", "verdict", "reader_name"]


class ExerciseFailed(AssertionError):
    """A reader's function disagrees with the oracle; the message names the first bad case."""


def verdict(report, oracle):
    """Print the pass line, or raise: the stub's NotImplementedError, or ExerciseFailed.

    Parameters
    ----------
    report : dlbook.verify.Report
        The outcome of running the reader's function on every case.
    oracle : str
        What the function was compared with, for the pass line.

    Raises
    ------
    NotImplementedError
        Unchanged, when the reader's function is still an unwritten stub.
    ExerciseFailed
        When a case disagrees; the message is ``str(report)``.
    """
    if report.passed:
        cases = "the one case" if report.n_cases == 1 else f"all {report.n_cases} cases"
        print(f"Passed: {report.name} agrees with {oracle} on {cases}.")
        return
    failure = report.failure
    if failure is not None and isinstance(failure.exception, NotImplementedError):
        raise failure.exception
    raise ExerciseFailed(str(report))


def reader_name(fn, default):
    """The reader's function's ``__name__``, or ``default`` for a nameless callable."""
    return getattr(fn, "__name__", default)
